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
	"text/tabwriter"
	"time"

	"jabberd/bench"
	"jabberd/certs"
)

const benchUsage = `usage: jabberd bench [flags] login|tlsraw|idle|messages

  login     N concurrent clients looping full logins (connect, STARTTLS, SASL PLAIN,
            bind or session start, close) in -flow rfc6120|legacy, then the tlsraw
            reference (in-process crypto/tls handshakes with the server's own certificate,
            same concurrency, TLS version and -curves, its server half in a child process),
            the ratio login/tlsraw of the rates and the ratio of the server CPU per login
            to the server half's CPU per handshake; with -accounts N the logins go to N
            accounts in turn (USER0…USERN-1, made first by in-band registration); with
            -rounds N both are measured N times, alternately, and the medians of the
            ratios printed with their ranges; with -floor each round also logs in to the
            floor reference (the least a Go server does for the same logins: the same
            round trips, handshake and close, no XML parser, accounts, transcript or log;
            its server half in a child process) and prints CPU login/floor (what jabberd's
            own code costs) and CPU floor/server half (what the round trips cost)
  idle      open -n sessions (login, bind, initial presence) and hold them; server RSS
            per session (give -pid of a freshly started server); with -register each
            session has its own account (server: auth.in_band_registration = true);
            with -keepalive D each sends a whitespace keepalive every D while held; at the
            end every session is asked for disco#info (exit 1 when one does not answer)
  tlsraw    the tlsraw reference alone (with -tlsraw-addr: against a server half already
            running, e.g. under valgrind: jabberd bench tlsraw-server prints its address
            and serves until its standard input closes; jabberd bench floor-server
            likewise for -floor-addr, reading the password as its first line of input)
  messages  -pairs sender/receiver pairs streaming chat messages with -window in flight,
            plus a ping-pong pair for the round trip under load

The server must have the account -user/-password (e.g. jabberd -user bench:bench-pw).
With -pid, the server's CPU (and RSS for idle) is read from /proc.

flags:
`

// runBench implements `jabberd bench`.
func runBench(args []string, stdout, stderr io.Writer) int {
	fs, f := newBenchFlags(stderr)
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
	if *f.cpuProfile != "" {
		stop, err := startCPUProfile(*f.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "jabberd bench: %v\n", err)
			return 1
		}
		defer stop()
	}
	ver := uint16(tls.VersionTLS13)
	if *f.tlsVer == "1.2" {
		ver = tls.VersionTLS12
	}
	curves, err := parseCurves(*f.curves)
	if err != nil {
		fmt.Fprintf(stderr, "jabberd bench: %v\n", err)
		return 2
	}
	clientTLS := &tls.Config{ServerName: *f.domain, MinVersion: ver, MaxVersion: ver, CurvePreferences: curves}
	t := bench.Target{Addr: *f.addr, Domain: *f.domain, User: *f.user, Password: *f.password, TLS: clientTLS,
		Timeout: 10 * time.Second, Accounts: *f.accounts}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	defer tw.Flush()
	r := benchRun{f: f, t: t, ver: ver, tw: tw, stderr: stderr}
	switch fs.Arg(0) {
	case tlsrawServerScenario:
		return r.serveTLSRaw(os.Stdin, stdout)
	case floorServerScenario:
		return r.serveFloor(os.Stdin, stdout)
	}
	if clientTLS.RootCAs, err = loadRoots(filepath.Join(*f.state, certs.CACertFile)); err != nil {
		fmt.Fprintf(stderr, "jabberd bench: %v\n", err)
		return 1
	}
	if r.t.SourceIPs, err = parseSourceIPs(*f.src); err != nil {
		fmt.Fprintf(stderr, "jabberd bench: %v\n", err)
		return 2
	}
	switch fs.Arg(0) {
	case "login":
		return r.login()
	case "tlsraw":
		return r.reference()
	case "idle":
		return r.idle()
	case "messages":
		return r.messages()
	}
	fs.Usage()
	return 2
}

// benchFlags are the flags of jabberd bench; some only matter to one
// scenario.
type benchFlags struct {
	addr, domain, state, user, password *string
	flow, tlsVer, src, cpuProfile       *string
	curves, tlsrawAddr, floorAddr       *string
	conc, pid, n, pairs, window         *int
	accounts, rounds                    *int
	setup, floor                        *bool
	dur, hold                           *time.Duration
	register                            *bool
	keepalive                           *time.Duration
}

func newBenchFlags(stderr io.Writer) (*flag.FlagSet, *benchFlags) {
	fs := flag.NewFlagSet("jabberd bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	return fs, &benchFlags{
		addr:       fs.String("addr", "127.0.0.1:5222", "server address"),
		domain:     fs.String("domain", "localhost", "XMPP domain"),
		state:      fs.String("state", "jabberd-state", "the server's state directory (lab CA; server certificate for tlsraw)"),
		user:       fs.String("user", "bench", "account to log in as"),
		password:   fs.String("password", "bench-pw", "its password"),
		conc:       fs.Int("c", 16, "concurrent clients"),
		dur:        fs.Duration("d", 10*time.Second, "duration of each measured run"),
		flow:       fs.String("flow", "rfc6120", "login dialect: rfc6120 or legacy"),
		pid:        fs.Int("pid", 0, "the server's pid, to read its CPU and memory"),
		n:          fs.Int("n", 1000, "idle: sessions to open"),
		pairs:      fs.Int("pairs", 4, "messages: sender/receiver pairs"),
		window:     fs.Int("window", 64, "messages: messages in flight per pair"),
		tlsVer:     fs.String("tls", "1.3", "TLS version for clients and the reference: 1.2 or 1.3"),
		hold:       fs.Duration("hold", 2*time.Second, "idle: how long the sessions are held open before the server's memory is read (the server settles; a heap profile can be taken meanwhile)"),
		keepalive:  fs.Duration("keepalive", 0, "idle: every session sends a whitespace keepalive this often during the hold, the sessions in turn (0: none)"),
		register:   fs.Bool("register", false, "idle: one account per session, idle0…idleN-1 with -password, made by XEP-0077 in-band registration (the server needs auth.in_band_registration = true)"),
		src:        fs.String("src", "", "comma-separated local addresses to connect from, in turn (e.g. 127.0.0.1,127.0.0.2: about 28 000 connections each)"),
		curves:     fs.String("curves", "x25519", "key exchanges the clients offer and the tlsraw server accepts, comma-separated: x25519, x25519mlkem768, p256, p384 (the same for logins and the reference)"),
		accounts:   fs.Int("accounts", 0, "login: spread the logins over this many accounts, -user followed by 0…N-1 with -password, made (or found taken) by in-band registration before measuring; 0: every login is -user"),
		rounds:     fs.Int("rounds", 1, "login: measure the logins and the references (tlsraw, and the floor with -floor) this many times, alternately, and print each round and the median of each ratio (one run's ratio moves by several per cent on a shared machine)"),
		setup:      fs.Bool("setup", true, "login with -accounts: make the accounts and log each in once before measuring; false when they exist and the server has seen them (a second run against the same server)"),
		floor:      fs.Bool("floor", false, "login: in each round also measure the floor reference (the least a Go server does for the same logins: the same round trips, handshake and close, no XML parser, accounts, transcript or log; its server half in a child process) and print the CPU ratios login/floor and floor/server half"),
		floorAddr:  fs.String("floor-addr", "", "login: the floor reference's server half already running at this address (`jabberd bench floor-server` prints it; the password is the first line of its input), instead of a child process; implies -floor; its CPU is then not read"),
		tlsrawAddr: fs.String("tlsraw-addr", "", "the tlsraw reference's server half already running at this address (`jabberd bench tlsraw-server` prints it, e.g. under valgrind), instead of a child process; its CPU is then not read"),
		cpuProfile: fs.String("cpuprofile", "", "write the bench client's own CPU profile to this file (to see what the load generator costs)"),
	}
}

// startCPUProfile profiles the bench client itself into path; stop ends
// the profile and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// parseSourceIPs parses -src; "" is no addresses.
func parseSourceIPs(src string) ([]net.IP, error) {
	if src == "" {
		return nil, nil
	}
	var ips []net.IP
	for _, a := range strings.Split(src, ",") {
		ip := net.ParseIP(strings.TrimSpace(a))
		if ip == nil {
			return nil, fmt.Errorf("-src: %q is not an IP address", a)
		}
		ips = append(ips, ip)
	}
	return ips, nil
}

// benchRun is one run of a scenario: the flags, the target they make, and
// where results (tw) and progress (stderr) go.
type benchRun struct {
	f      *benchFlags
	t      bench.Target
	ver    uint16 // the TLS version of clients and the tlsraw reference
	tw     *tabwriter.Writer
	stderr io.Writer
}

// progress returns a progress reporter for a scenario: counts and rate
// since now, written over one line of stderr.
func (r benchRun) progress(label string) func(done, errs int64) {
	start := time.Now()
	return func(done, errs int64) {
		fmt.Fprintf(r.stderr, "\r%-14s %8d done %6d errors %6.0f/s", label, done, errs, float64(done)/time.Since(start).Seconds())
	}
}

// login runs the login scenario and then the tlsraw reference (and with
// -floor the floor reference), whose server halves run in child
// processes, and prints them with their ratios.
func (r benchRun) login() int {
	ctx, f := context.Background(), r.f
	if r.t.Accounts > 0 && *f.setup {
		err := bench.MakeAccounts(ctx, r.t, *f.conc, r.progress("accounts"))
		fmt.Fprintln(r.stderr)
		if err != nil {
			fmt.Fprintf(r.stderr, "jabberd bench: %v\n", err)
			return 1
		}
	}
	rounds := newLoginRounds()
	for i := range max(*f.rounds, 1) {
		login := bench.Login(ctx, r.t, *f.flow, *f.conc, *f.dur, *f.pid, r.progress("login "+*f.flow))
		fmt.Fprintln(r.stderr)
		raw, err := r.runReference()
		if err != nil {
			fmt.Fprintf(r.stderr, "jabberd bench: %v\n", err)
			return 1
		}
		results := []bench.LoginResult{login, raw}
		if *f.floor || *f.floorAddr != "" {
			floor, err := r.runFloor()
			if err != nil {
				fmt.Fprintf(r.stderr, "jabberd bench: %v\n", err)
				return 1
			}
			results = append(results, floor)
		}
		if *f.rounds > 1 {
			for j := range results {
				results[j].Name = fmt.Sprintf("%s #%d", results[j].Name, i+1)
			}
		}
		r.printResults(results...)
		rounds.add(results)
		rounds.printRound(r.tw, i)
		if login.FirstError != "" {
			fmt.Fprintf(r.tw, "first login error\t%s\n", login.FirstError)
		}
		if len(results) > 2 && results[2].FirstError != "" {
			fmt.Fprintf(r.tw, "first floor error\t%s\n", results[2].FirstError)
		}
	}
	if *f.rounds > 1 {
		rounds.printMedians(r.tw)
	}
	return 0
}

// printResults prints the table of login-like results.
func (r benchRun) printResults(results ...bench.LoginResult) {
	fmt.Fprintln(r.tw, "scenario\tdone\terrors\trate/s\tp50\tp99\tserver CPU/op")
	for _, res := range results {
		fmt.Fprintf(r.tw, "%s\t%d\t%d\t%.0f\t%v\t%v\t%s\n", res.Name, res.Done, res.Errors, res.Rate(), res.P50.Round(time.Microsecond), res.P99.Round(time.Microsecond), cpuText(res.CPUPer()))
	}
}

// idle runs the idle scenario and prints the server's memory per session.
func (r benchRun) idle() int {
	f := r.f
	opt := bench.IdleOptions{Register: *f.register, Keepalive: *f.keepalive}
	res := bench.IdleWith(context.Background(), r.t, opt, *f.n, *f.conc, *f.hold, *f.pid, r.progress("idle"))
	fmt.Fprintln(r.stderr)
	fmt.Fprintln(r.tw, "sessions\terrors\topen time\tRSS before\tRSS after\tper session\tkeepalives (failed)\talive after")
	per := "n/a (give -pid)"
	if p := res.PerSession(); p >= 0 {
		per = fmt.Sprintf("%.1f KiB", float64(p)/1024)
	}
	fmt.Fprintf(r.tw, "%d\t%d\t%v\t%s\t%s\t%s\t%d (%d)\t%d\n", res.Opened, res.Errors, res.Elapsed.Round(time.Millisecond),
		mib(res.RSSBefore), mib(res.RSSAfter), per, res.Keepalives, res.KeepaliveErrors, res.Alive)
	if res.FirstError != "" {
		fmt.Fprintf(r.tw, "first error\t%s\n", res.FirstError)
	}
	if res.FirstLost != "" {
		fmt.Fprintf(r.tw, "first lost\t%s\n", res.FirstLost)
	}
	if res.Lost > 0 || res.KeepaliveErrors > 0 {
		return 1
	}
	return 0
}

// messages runs the messages scenario and prints throughput and the round
// trip under load.
func (r benchRun) messages() int {
	f := r.f
	res, err := bench.Messages(context.Background(), r.t, *f.pairs, *f.window, *f.dur, *f.pid, r.progress("messages"))
	fmt.Fprintln(r.stderr)
	if err != nil {
		fmt.Fprintf(r.stderr, "jabberd bench: %v\n", err)
		return 1
	}
	fmt.Fprintln(r.tw, "pairs\tdelivered\tmessages/s\tRTT p50\tRTT p99\tserver CPU/message\terrors")
	fmt.Fprintf(r.tw, "%d\t%d\t%.0f\t%v\t%v\t%s\t%d\n", res.Pairs, res.Delivered, res.Rate(), res.RTTP50.Round(time.Microsecond), res.RTTP99.Round(time.Microsecond), cpuText(res.CPUPer()), res.Errors)
	if res.FirstError != "" {
		fmt.Fprintf(r.tw, "first error: %s\n", res.FirstError)
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
