package interop

// The harness: jabberd from app.FromConfig on loopback ports with its
// JSON log in a buffer the tests can wait on, and helpers that run real
// client programs with a deadline and keep everything they printed for the
// failure message.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/app"
	"jabberd/config"
	"jabberd/internal/logtest"
	"jabberd/internal/testserver"
	"jabberd/tlspolicy"
)

const (
	// clientTimeout bounds every external client run.
	clientTimeout = 30 * time.Second
	// logTimeout bounds a wait for a server log line.
	logTimeout = 10 * time.Second

	// requireEnv makes a missing client a failure instead of a skip.
	requireEnv = "JABBERD_REQUIRE_CLIENTS"
	// python is Debian's interpreter: python3 on PATH may be another one
	// (pyenv) that does not see Debian's dist-packages, where slixmpp is.
	python = "/usr/bin/python3"
)

// users are the accounts every test server has.
var users = []config.User{
	{Name: "alice", Password: "alice-pw"},
	{Name: "bob", Password: "bob-pw"},
	{Name: "carol", Password: "carol-pw"},
}

func password(name string) string {
	for _, u := range users {
		if u.Name == name {
			return u.Password
		}
	}
	panic("no test user " + name)
}

// ---- the server log ----

// notifyBuffer collects what a writer goroutine (zerolog, a child process)
// writes and lets a test wait on writes instead of a clock.
type notifyBuffer = logtest.Buffer

func newNotifyBuffer() *notifyBuffer { return logtest.New() }

type logEntry = logtest.Entry

// fields selects log entries: "message" and any other string field.
type fields map[string]string

// ---- the server ----

// jabberd is the shared test server (internal/testserver) with the test
// users, under the names this suite's tests use.
type jabberd struct {
	*testserver.Server
	t      *testing.T
	set    *app.Setup
	addr   string // the STARTTLS listener (tls = "optional")
	direct string // the direct-TLS listener (XEP-0368), when asked for
	log    *notifyBuffer
	state  string
	debug  bool // the log has debug entries ("sent", "received")
}

type serverOptions struct {
	direct bool              // add a listener with tls = "direct"
	irc    *tlspolicy.Policy // enable [irc] on 127.0.0.1:0 with this policy
	// configure, when set, changes the configuration last, before it is
	// validated.
	configure func(*config.Config)
}

// startJabberd runs jabberd in-process from config.Default(): a temporary
// state directory, the test users, 127.0.0.1:0 with optional STARTTLS (and
// a direct-TLS listener when asked), a debug-level JSON log.
func startJabberd(t *testing.T, opt serverOptions) *jabberd {
	t.Helper()
	s := testserver.Start(t, testserver.Options{Configure: func(cfg *config.Config) {
		cfg.Users = slices.Clone(users)
		if opt.direct {
			cfg.Listen = append(cfg.Listen, config.Listener{Address: "127.0.0.1:0", TLS: tlspolicy.Direct})
		}
		if opt.irc != nil {
			cfg.IRC.Enabled, cfg.IRC.Address, cfg.IRC.TLS = true, "127.0.0.1:0", *opt.irc
		}
		if opt.configure != nil {
			opt.configure(cfg)
		}
	}})
	j := &jabberd{Server: s, t: t, set: s.Set, addr: s.Addr(), log: s.Logs, state: s.StateDir(),
		debug: s.Cfg.Log.Level == "debug" && zerolog.GlobalLevel() <= zerolog.DebugLevel}
	if opt.direct {
		j.direct = s.Addrs[1]
	}
	return j
}

// caFile is the lab CA that signed the server certificate.
func (j *jabberd) caFile() string { return j.CAFile() }

// clientCert is the certificate and key the state directory holds for user.
func (j *jabberd) clientCert(user string) (crt, key string) { return j.ClientCertFiles(user) }

// entries returns the log entries so far that match f.
func (j *jabberd) entries(f fields) []logEntry {
	return j.log.Select(j.t, func(e logEntry) bool { return e.Has(f) })
}

// waitLog waits for n entries matching f and returns them; it fails the
// test (with the log) when they do not come.
func (j *jabberd) waitLog(t testing.TB, n int, f fields) []logEntry {
	t.Helper()
	return j.log.WaitN(t, logTimeout, n, fmt.Sprintf("matching %v", f), func(e logEntry) bool { return e.Has(f) })
}

// ---- clients ----

// needClient makes sure a client program is there. A missing one fails
// the test when JABBERD_REQUIRE_CLIENTS is set (CI) and skips it, saying
// what to install, otherwise.
func needClient(t *testing.T, command, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(command)
	if err != nil {
		missingClient(t, fmt.Sprintf("%s not found (%v)", command, err), pkg)
	}
	return path
}

// needSlixmpp checks that Debian's python3 can import slixmpp and returns
// its version.
func needSlixmpp(t *testing.T) string {
	t.Helper()
	return needPython(t, "import slixmpp; print(slixmpp.__version__)", "python3-slixmpp")
}

// needPython checks that Debian's python3 runs script (an import that
// prints the module's version) and returns what it printed; pkg is the
// Debian package that provides the module.
func needPython(t *testing.T, script, pkg string) string {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		missingClient(t, fmt.Sprintf("%s not found (%v)", python, err), pkg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", script).CombinedOutput()
	if err != nil {
		missingClient(t, fmt.Sprintf("%s cannot run %q: %v\n%s", python, script, err, out), pkg)
	}
	return strings.TrimSpace(string(out))
}

func missingClient(t *testing.T, why, pkg string) {
	t.Helper()
	if os.Getenv(requireEnv) != "" {
		t.Fatalf("%s; %s is set, so a missing client is a failure: apt-get install %s", why, requireEnv, pkg)
	}
	t.Skipf("%s; install it with apt-get install %s (with %s set this is a failure)", why, pkg, requireEnv)
}

// run is one client process: its command line, what it printed, how it
// ended.
type run struct {
	args   []string
	stdout *notifyBuffer
	stderr *notifyBuffer
	cmd    *exec.Cmd
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	err    error // after done
}

// String is the whole story of the run, for failure messages.
func (r *run) String() string {
	state := "still running"
	select {
	case <-r.done:
		state = fmt.Sprintf("exit: %v", r.err)
		if r.err == nil {
			state = "exit: 0"
		}
		if errors.Is(r.ctx.Err(), context.DeadlineExceeded) {
			state += fmt.Sprintf(" (killed after %v)", clientTimeout)
		}
	default:
	}
	return fmt.Sprintf("$ %s\n%s\n--- stdout ---\n%s--- stderr ---\n%s--- end ---",
		shellQuote(r.args), state, r.stdout.String(), r.stderr.String())
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " '\"\\$<>|&;()*?") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

type runOptions struct {
	stdin string   // fed to the process, then EOF
	env   []string // added to the environment
}

// start launches a client with the clientTimeout deadline; wait collects it.
func start(t *testing.T, opt runOptions, args ...string) *run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	r := &run{args: args, stdout: newNotifyBuffer(), stderr: newNotifyBuffer(), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	r.cmd = exec.CommandContext(ctx, args[0], args[1:]...)
	r.cmd.Stdin = strings.NewReader(opt.stdin)
	r.cmd.Stdout = r.stdout
	r.cmd.Stderr = r.stderr
	r.cmd.WaitDelay = 5 * time.Second
	if opt.env != nil {
		r.cmd.Env = append(os.Environ(), opt.env...)
	}
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", shellQuote(args), err)
	}
	go func() {
		r.err = r.cmd.Wait()
		cancel()
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// wait waits for the process to end (the deadline kills it) and returns
// its exit error.
func (r *run) wait() error {
	<-r.done
	return r.err
}

// runClient runs a client to its end.
func runClient(t *testing.T, opt runOptions, args ...string) *run {
	t.Helper()
	r := start(t, opt, args...)
	r.wait()
	return r
}

// exitCode is the process's exit status, -1 when it did not exit normally.
func (r *run) exitCode() int {
	var ee *exec.ExitError
	switch {
	case r.err == nil:
		return 0
	case errors.As(r.err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// portOf is the port of a host:port address.
func portOf(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		panic(err)
	}
	return p
}
