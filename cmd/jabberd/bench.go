package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"jabberd/bench"
	"jabberd/certs"
)

const benchUsage = `usage: jabberd bench [flags] login|idle|messages

  login     N concurrent clients looping full logins (connect, STARTTLS, SASL PLAIN,
            bind or session start, close) in -flow rfc6120|legacy, then the tlsraw
            reference (in-process crypto/tls handshakes with the server's own certificate,
            same concurrency and TLS version), and the ratio login/tlsraw
  idle      open -n sessions (login, bind, initial presence) and hold them; server RSS
            per session (give -pid of a freshly started server); with -register each
            session has its own account (server: auth.in_band_registration = true)
  messages  -pairs sender/receiver pairs streaming chat messages with -window in flight,
            plus a ping-pong pair for the round trip under load

The server must have the account -user/-password (e.g. jabberd -user bench:bench-pw).
With -pid, the server's CPU (and RSS for idle) is read from /proc.

flags:
`

// runBench implements `jabberd bench`.
func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jabberd bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	addr := fs.String("addr", "127.0.0.1:5222", "server address")
	domain := fs.String("domain", "localhost", "XMPP domain")
	state := fs.String("state", "jabberd-state", "the server's state directory (lab CA; server certificate for tlsraw)")
	user := fs.String("user", "bench", "account to log in as")
	password := fs.String("password", "bench-pw", "its password")
	conc := fs.Int("c", 16, "concurrent clients")
	dur := fs.Duration("d", 10*time.Second, "duration of each measured run")
	flow := fs.String("flow", "rfc6120", "login dialect: rfc6120 or legacy")
	pid := fs.Int("pid", 0, "the server's pid, to read its CPU and memory")
	n := fs.Int("n", 1000, "idle: sessions to open")
	pairs := fs.Int("pairs", 4, "messages: sender/receiver pairs")
	window := fs.Int("window", 64, "messages: messages in flight per pair")
	tlsVer := fs.String("tls", "1.3", "TLS version for clients and the reference: 1.2 or 1.3")
	hold := fs.Duration("hold", 2*time.Second, "idle: how long the sessions are held open before the server's memory is read (the server settles; a heap profile can be taken meanwhile)")
	register := fs.Bool("register", false, "idle: one account per session, idle0…idleN-1 with -password, made by XEP-0077 in-band registration (the server needs auth.in_band_registration = true)")
	src := fs.String("src", "", "comma-separated local addresses to connect from, in turn (e.g. 127.0.0.1,127.0.0.2: about 28 000 connections each)")
	cpuProfile := fs.String("cpuprofile", "", "write the bench client's own CPU profile to this file (to see what the load generator costs)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	raiseFileLimit(stderr)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "jabberd bench: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "jabberd bench: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	ver := uint16(tls.VersionTLS13)
	if *tlsVer == "1.2" {
		ver = tls.VersionTLS12
	}
	roots, err := loadRoots(filepath.Join(*state, certs.CACertFile))
	if err != nil {
		fmt.Fprintf(stderr, "jabberd bench: %v\n", err)
		return 1
	}
	clientTLS := &tls.Config{ServerName: *domain, RootCAs: roots, MinVersion: ver, MaxVersion: ver}
	t := bench.Target{Addr: *addr, Domain: *domain, User: *user, Password: *password, TLS: clientTLS, Timeout: 10 * time.Second}
	if *src != "" {
		for _, a := range strings.Split(*src, ",") {
			ip := net.ParseIP(strings.TrimSpace(a))
			if ip == nil {
				fmt.Fprintf(stderr, "jabberd bench: -src: %q is not an IP address\n", a)
				return 2
			}
			t.SourceIPs = append(t.SourceIPs, ip)
		}
	}
	ctx := context.Background()
	progress := func(label string) func(done, errs int64) {
		start := time.Now()
		return func(done, errs int64) {
			fmt.Fprintf(stderr, "\r%-14s %8d done %6d errors %6.0f/s", label, done, errs, float64(done)/time.Since(start).Seconds())
		}
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	defer tw.Flush()
	switch fs.Arg(0) {
	case "login":
		login := bench.Login(ctx, t, *flow, *conc, *dur, *pid, progress("login "+*flow))
		fmt.Fprintln(stderr)
		pair, err := certs.Load(filepath.Join(*state, certs.ServerCertFile), filepath.Join(*state, certs.ServerKeyFile))
		if err != nil {
			fmt.Fprintf(stderr, "jabberd bench: the tlsraw reference needs the server certificate: %v\n", err)
			return 1
		}
		serverTLS := &tls.Config{Certificates: []tls.Certificate{pair.TLSCertificate()}, MinVersion: ver, MaxVersion: ver}
		raw, err := bench.TLSRaw(ctx, serverTLS, clientTLS, *conc, *dur, progress("tlsraw"))
		fmt.Fprintln(stderr)
		if err != nil {
			fmt.Fprintf(stderr, "jabberd bench: %v\n", err)
			return 1
		}
		fmt.Fprintln(tw, "scenario\tdone\terrors\trate/s\tp50\tp99\tserver CPU/op")
		for _, r := range []bench.LoginResult{login, raw} {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%v\t%v\t%s\n", r.Name, r.Done, r.Errors, r.Rate(), r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), cpuText(r.CPUPer()))
		}
		if raw.Rate() > 0 {
			fmt.Fprintf(tw, "ratio login/tlsraw\t%.2f\t\t\t\t\t\n", login.Rate()/raw.Rate())
		}
		if login.FirstError != "" {
			fmt.Fprintf(tw, "first login error\t%s\n", login.FirstError)
		}
	case "idle":
		r := bench.IdleWith(ctx, t, bench.IdleOptions{Register: *register}, *n, *conc, *hold, *pid, progress("idle"))
		fmt.Fprintln(stderr)
		fmt.Fprintln(tw, "sessions\terrors\topen time\tRSS before\tRSS after\tper session")
		per := "n/a (give -pid)"
		if p := r.PerSession(); p >= 0 {
			per = fmt.Sprintf("%.1f KiB", float64(p)/1024)
		}
		fmt.Fprintf(tw, "%d\t%d\t%v\t%s\t%s\t%s\n", r.Opened, r.Errors, r.Elapsed.Round(time.Millisecond), mib(r.RSSBefore), mib(r.RSSAfter), per)
		if r.FirstError != "" {
			fmt.Fprintf(tw, "first error\t%s\n", r.FirstError)
		}
	case "messages":
		r, err := bench.Messages(ctx, t, *pairs, *window, *dur, *pid, progress("messages"))
		fmt.Fprintln(stderr)
		if err != nil {
			fmt.Fprintf(stderr, "jabberd bench: %v\n", err)
			return 1
		}
		fmt.Fprintln(tw, "pairs\tdelivered\tmessages/s\tRTT p50\tRTT p99\tserver CPU/message")
		fmt.Fprintf(tw, "%d\t%d\t%.0f\t%v\t%v\t%s\n", r.Pairs, r.Delivered, r.Rate(), r.RTTP50.Round(time.Microsecond), r.RTTP99.Round(time.Microsecond), cpuText(r.CPUPer()))
	default:
		fs.Usage()
		return 2
	}
	return 0
}

func cpuText(d time.Duration) string {
	if d < 0 {
		return "n/a (give -pid)"
	}
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

func mib(b int64) string {
	if b < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func loadRoots(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the lab CA: %w", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no certificate", path)
	}
	return p, nil
}

// raiseFileLimit lifts the soft open-file limit to the hard one: thousands
// of sessions need thousands of descriptors.
func raiseFileLimit(stderr io.Writer) {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil || lim.Cur >= lim.Max {
		return
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintf(stderr, "jabberd bench: could not raise the open-file limit: %v\n", err)
	}
}
