package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/rs/zerolog"

	"jabberd/app"
	"jabberd/certs"
	"jabberd/config"
)

func newLogger(c config.Log, w io.Writer) zerolog.Logger {
	level, _ := zerolog.ParseLevel(c.Level) // validated by config
	zerolog.TimeFieldFormat = time.RFC3339Nano
	var out io.Writer = w
	if c.Format == "console" {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000", NoColor: !isTerminal(w)}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
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
func printBanner(w io.Writer, cfg *config.Config, set *app.Setup, addrs []net.Addr, embedded bool) {
	st := set.State
	fmt.Fprintf(w, "jabberd serving %s\n", cfg.Domain)
	if embedded {
		fmt.Fprintln(w, "  configuration: embedded default (lab accounts; use -config for anything else)")
	}
	for i, a := range addrs[:min(len(addrs), len(cfg.Listen))] {
		fmt.Fprintf(w, "  listening:     %s (tls = %s)\n", a, cfg.Listen[i].TLS)
	}
	if set.IRC != nil && set.IRC.Addr() != nil {
		fmt.Fprintf(w, "  irc:           %s (tls = %s)\n", set.IRC.Addr(), cfg.IRC.TLS)
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
		fmt.Fprintf(w, "lab: a client picks a profile with alice+PROFILE@%s or SNI PROFILE.%s (jabberd profiles lists them)\n", cfg.Domain, cfg.Domain)
	}
	if a := set.StatusAddr(); a != nil {
		fmt.Fprintf(w, "lab: status page http://%s/ (JSON: /api/connections)\n", a)
	} else if set.Lab != nil {
		fmt.Fprintln(w, "lab: transcripts kept in memory; set [lab] status_address to see them")
	}
}
