package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"jabberd/app"
	"jabberd/certs"
	"jabberd/config"
	"jabberd/control"
	"jabberd/internal/consolelog"
)

// newLogger is the server's logger. Its level is zerolog's global one, so
// that a reload can change it (setLogLevel); a disabled level costs what
// it did before, one comparison.
func newLogger(c config.Log, w io.Writer) zerolog.Logger {
	setLogLevel(c.Level)
	zerolog.TimeFieldFormat = time.RFC3339Nano
	var out io.Writer = w
	switch {
	case c.Format != "console":
	case isTerminal(w):
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: consoleTime}
	default:
		// The same lines without colours, at a fifth of the cost: a
		// login logs eight of them at the default level.
		out = consolelog.New(w, consoleTime)
	}
	return zerolog.New(out).Level(zerolog.TraceLevel).With().Timestamp().Logger()
}

// consoleTime is how console lines show the time.
const consoleTime = "15:04:05.000"

// setLogLevel makes level (validated by config) the process's log level.
func setLogLevel(level string) {
	l, _ := zerolog.ParseLevel(level)
	zerolog.SetGlobalLevel(l)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// printBanner tells a person where things are and how to try them.
func printBanner(w io.Writer, cfg *config.Config, set *app.Setup, addrs []net.Addr, embedded bool, sock *control.Server) {
	st := set.State
	run := set.Config() // cfg less the listeners skipped as not available
	fmt.Fprintf(w, "jabberd serving %s\n", cfg.Domain)
	if embedded {
		fmt.Fprintln(w, "  configuration: embedded default (lab accounts; use -config for anything else)")
	}
	configured := len(run.Listen) // less the per-profile ports, which come last
	for _, pp := range set.ProfilePorts() {
		if pp.Protocol == "xmpp" {
			configured--
		}
	}
	for i, a := range addrs[:min(len(addrs), configured)] {
		fmt.Fprintf(w, "  listening:     %s (tls = %s)\n", a, run.Listen[i].TLS)
	}
	if app.Loopback(run) {
		fmt.Fprintln(w, "  reachable:     from this machine only (loopback); -listen :5222 or a [[listen]] in a configuration accepts other hosts")
	} else if embedded {
		fmt.Fprintln(w, "  reachable:     from other hosts, with the lab accounts and their published passwords: use -config with accounts of your own")
	} else {
		fmt.Fprintln(w, "  reachable:     from other hosts")
	}
	if set.IRC != nil && set.IRC.Addr() != nil {
		fmt.Fprintf(w, "  irc:           %s (tls = %s)\n", set.IRC.Addr(), cfg.IRC.TLS)
	}
	if set.IRC != nil && set.IRC.TLSAddr() != nil {
		fmt.Fprintf(w, "  irc over TLS:  %s (direct TLS, RFC 7194)\n", set.IRC.TLSAddr())
	}
	if set.IRC != nil && cfg.IRC.STS() {
		fmt.Fprintf(w, "  irc sts:       sts=port=%d in plaintext, sts=duration=%d over TLS (a client keeps it for every port of the host)\n",
			cfg.IRC.STSPort, int(cfg.IRC.STSDuration.Seconds()))
	}
	for _, pp := range set.ProfilePorts() {
		fmt.Fprintf(w, "  profile port:  %-21s %-5s %s\n", pp.Address, pp.Protocol, pp.Profile)
	}
	fmt.Fprintf(w, "  state dir:     %s\n", st.Dir)
	if len(st.Created) > 0 {
		fmt.Fprintf(w, "  generated now: %d files\n", len(st.Created))
	}
	ca := filepath.Join(st.Dir, certs.CACertFile)
	fmt.Fprintf(w, "  lab CA:        %s\n", ca)
	fmt.Fprintf(w, "  server cert:   %s\n", set.ServerCert)
	names := make([]string, 0, len(st.Clients))
	for n := range st.Clients {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		crt, key := certs.ClientPaths(st.Dir, n)
		fmt.Fprintf(w, "  client cert:   %s@%s  %s  %s\n", n, cfg.Domain, crt, key)
	}
	printAccounts(w, cfg, embedded)
	if sock != nil {
		fmt.Fprintf(w, "  control:       %s (jabberd users, status, reload; SIGHUP reloads too)\n", sock.Path())
	}
	if len(addrs) > 0 {
		_, port, _ := net.SplitHostPort(addrs[0].String())
		fmt.Fprintf(w, "try it:\n  openssl s_client -starttls xmpp -xmpphost %s -connect localhost:%s -CAfile %s", cfg.Domain, port, ca)
		if len(names) > 0 {
			crt, key := certs.ClientPaths(st.Dir, names[0])
			fmt.Fprintf(w, " -cert %s -key %s", crt, key)
		}
		fmt.Fprintln(w)
	}
	if set.IRC != nil && set.IRC.Addr() != nil && cfg.IRC.TLS.Available() {
		_, port, _ := net.SplitHostPort(set.IRC.Addr().String())
		fmt.Fprintf(w, "  openssl s_client -starttls irc -connect localhost:%s -CAfile %s\n", port, ca)
	}
	if set.IRC != nil && set.IRC.TLSAddr() != nil {
		_, port, _ := net.SplitHostPort(set.IRC.TLSAddr().String())
		fmt.Fprintf(w, "  openssl s_client -connect localhost:%s -CAfile %s\n", port, ca)
	}
	printLab(w, cfg, set)
}

// printLab says how to use the lab: the profiles in force, how a client
// picks its own, where the status page is.
func printLab(w io.Writer, cfg *config.Config, set *app.Setup) {
	for i, l := range cfg.Listen {
		if l.Profile != "" {
			fmt.Fprintf(w, "lab: listener %d plays %s\n", i+1, l.Profile)
		}
	}
	if cfg.IRC.Enabled && cfg.IRC.Profile != "" {
		fmt.Fprintf(w, "lab: the IRC listener plays %s\n", cfg.IRC.Profile)
	}
	if cfg.Lab.ClientChoice {
		user := "USER"
		if len(cfg.Users) > 0 {
			user = cfg.Users[0].Name
		}
		fmt.Fprintf(w, "lab: a client picks a profile with %s+PROFILE@%s or SNI PROFILE.%s (jabberd profiles lists them)\n", user, cfg.Domain, cfg.Domain)
	}
	if a := set.StatusAddr(); a != nil {
		fmt.Fprintf(w, "lab: status page http://%s/ (JSON: /api/connections; metrics: /metrics)\n", a)
	} else if set.Lab != nil {
		fmt.Fprintln(w, "lab: transcripts kept in memory; set [lab] status_address to see them")
	}
}

// printAccounts says which accounts the configuration manages, or that it
// names none and what follows.
func printAccounts(w io.Writer, cfg *config.Config, embedded bool) {
	if len(cfg.Users) == 0 {
		fmt.Fprintln(w, "  accounts:      none in the configuration: no client certificates; only accounts made with jabberd users add can log in")
		return
	}
	names := make([]string, len(cfg.Users))
	for i, u := range cfg.Users {
		names[i] = u.Name
		if embedded { // the lab passwords, published in the README anyway
			names[i] += " (password " + u.Password + ")"
		}
	}
	fmt.Fprintf(w, "  accounts:      %s, managed by the configuration; jabberd users add makes others\n", strings.Join(names, ", "))
}
