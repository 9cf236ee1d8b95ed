package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/app"
	"jabberd/config"
	"jabberd/tlspolicy"
)

// startServer runs an in-process jabberd with the account bench/bench-pw.
func startServer(t *testing.T) (Target, *tls.Config) {
	t.Helper()
	tg, st, _ := startServerWith(t, nil)
	return tg, st
}

func startServerWith(t *testing.T, mod func(*config.Config)) (Target, *tls.Config, *app.Setup) {
	t.Helper()
	cfg := config.Default()
	cfg.StateDir = t.TempDir()
	cfg.Listen = []config.Listener{{Address: "127.0.0.1:0", TLS: tlspolicy.Optional}}
	cfg.Users = []config.User{{Name: "bench", Password: "bench-pw"}}
	if mod != nil {
		mod(cfg)
	}
	set, err := app.FromConfig(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := set.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = set.Shutdown(ctx)
		set.Store.Close()
	})
	roots := x509.NewCertPool()
	roots.AddCert(set.State.CA.Cert)
	ct := &tls.Config{ServerName: "localhost", RootCAs: roots}
	st := &tls.Config{Certificates: []tls.Certificate{set.State.Server.TLSCertificate()}}
	return Target{Addr: addrs[0].String(), Domain: "localhost", User: "bench", Password: "bench-pw", TLS: ct, Timeout: 5 * time.Second}, st, set
}

// TestIdleRegister: with Register every session has an account of its own,
// made by in-band registration; a second run finds them taken and logs in
// all the same; connections come from the given source addresses in turn.
func TestIdleRegister(t *testing.T) {
	tg, _, set := startServerWith(t, func(c *config.Config) {
		c.Auth.InBandRegistration = true
		c.Limits.MaxConnsPerIP = 0
	})
	tg.SourceIPs = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 2)}
	for run := range 2 {
		r := IdleWith(context.Background(), tg, IdleOptions{Register: true}, 6, 3, 10*time.Millisecond, 0, nil)
		if r.Opened != 6 || r.Errors != 0 {
			t.Fatalf("run %d: %+v", run+1, r)
		}
	}
	for i := range 6 {
		if _, err := set.Store.Lookup("idle" + strconv.Itoa(i)); err != nil {
			t.Errorf("idle%d: %v", i, err)
		}
	}
	// Without registration enabled the bench says what to turn on.
	tg2, _, _ := startServerWith(t, nil)
	r := IdleWith(context.Background(), tg2, IdleOptions{Register: true}, 1, 1, 0, 0, nil)
	if r.Errors != 1 || !strings.Contains(r.FirstError, "auth.in_band_registration") {
		t.Fatalf("%+v", r)
	}
}

// TestIdleKeepalives: with the server's idle timeout at 1.5 s and sessions
// held for 3.5 s, sessions that send a whitespace keepalive every 400 ms
// all answer the disco query at the end, and sessions that send nothing
// are all found lost: the check at the end tells the two apart.
func TestIdleKeepalives(t *testing.T) {
	tg, _, _ := startServerWith(t, func(c *config.Config) {
		c.Limits.IdleTimeout = config.Duration{Duration: 1500 * time.Millisecond}
	})
	const n = 6
	r := IdleWith(context.Background(), tg, IdleOptions{Keepalive: 400 * time.Millisecond}, n, 3, 3500*time.Millisecond, 0, nil)
	if r.Opened != n || r.Errors != 0 || r.Alive != n || r.Lost != 0 || r.KeepaliveErrors != 0 || r.Keepalives < 3*n {
		t.Fatalf("with keepalives: %+v, want %d sessions alive after at least %d keepalives, none failed", r, n, 3*n)
	}
	r = IdleWith(context.Background(), tg, IdleOptions{}, n, 3, 3500*time.Millisecond, 0, nil)
	if r.Opened != n || r.Keepalives != 0 || r.Alive != 0 || r.Lost != n {
		t.Fatalf("without keepalives: %+v, want all %d sessions lost to the 1.5 s idle timeout", r, n)
	}
}

// TestScenarios runs every scenario briefly: they must complete work with
// no error, and read the server's CPU and memory when given a pid (here the
// test process, which is the server).
func TestScenarios(t *testing.T) {
	tg, serverTLS := startServer(t)
	ctx := context.Background()
	pid := os.Getpid()
	for _, flow := range []string{"rfc6120", "legacy"} {
		r := Login(ctx, tg, flow, 2, 500*time.Millisecond, pid, nil)
		if r.Done == 0 || r.Errors != 0 || r.ServerCPU < 0 || r.P50 <= 0 || r.P99 < r.P50 {
			t.Fatalf("login %s: %+v", flow, r)
		}
	}
	raw, err := TLSRaw(ctx, serverTLS, tg.TLS, 2, 300*time.Millisecond, nil)
	if err != nil || raw.Done == 0 || raw.Errors != 0 {
		t.Fatalf("tlsraw: %+v %v", raw, err)
	}
	idle := Idle(ctx, tg, 20, 4, 10*time.Millisecond, pid, nil)
	if idle.Opened != 20 || idle.Errors != 0 || idle.RSSBefore <= 0 || idle.RSSAfter <= 0 || idle.Alive != 20 || idle.Lost != 0 {
		t.Fatalf("idle: %+v", idle)
	}
	m, err := Messages(ctx, tg, 2, 8, 2*time.Second, pid, func(int64, int64) {})
	if err != nil || m.Delivered == 0 || m.RTTP50 <= 0 || m.ServerCPU < 0 || m.Errors != 0 || m.FirstError != "" {
		t.Fatalf("messages: %+v %v", m, err)
	}
}

// TestMessagesOutlastTheTimeout: a run longer than the per-operation
// timeout (which was the login's deadline too) keeps every session, the
// ping-pong pair's included, and measures round trips to its end.
func TestMessagesOutlastTheTimeout(t *testing.T) {
	tg, _ := startServer(t)
	tg.Timeout = 300 * time.Millisecond
	m, err := Messages(context.Background(), tg, 1, 8, 1500*time.Millisecond, 0, func(int64, int64) {})
	if err != nil || m.Delivered == 0 || m.Errors != 0 || m.FirstError != "" {
		t.Fatalf("messages: %+v %v", m, err)
	}
}

// TestMessagesServerGoneIsCounted: a server that closes the sessions in
// the middle of the run is an error for each of them, not a quiet run.
// The shutdown comes once messages flow (the run's progress says so), not
// at a fixed time: on a loaded machine the logins before the run took
// longer than that, and the shutdown met them instead.
func TestMessagesServerGoneIsCounted(t *testing.T) {
	tg, _, set := startServerWith(t, nil)
	var shutdown sync.Once
	ctx, progress := stopWhen(t, func(delivered, errs int64) bool {
		if delivered > 0 {
			shutdown.Do(func() {
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					_ = set.Shutdown(ctx)
				}()
			})
		}
		return errs >= 4
	})
	m, err := Messages(ctx, tg, 2, 8, 20*time.Second, 0, progress)
	if err != nil || m.Delivered == 0 || m.Errors < 4 || m.FirstError == "" {
		t.Fatalf("messages: %+v %v", m, err)
	}
	t.Logf("%d errors, the first: %s", m.Errors, m.FirstError)
}

// stopWhen returns the context for a bench run and a progress function
// (called about every second) that ends the run once enough says so: the
// run's duration is then only a bound, and a loaded machine takes what it
// needs instead of failing a count reached in a fixed time.
func stopWhen(t *testing.T, enough func(done, errs int64) bool) (context.Context, func(done, errs int64)) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx, func(done, errs int64) {
		if enough(done, errs) {
			cancel()
		}
	}
}

// TestLoginFailureIsCounted: a wrong password is an error, not a login.
func TestLoginFailureIsCounted(t *testing.T) {
	tg, _ := startServer(t)
	tg.Password = "wrong"
	r := Login(context.Background(), tg, "rfc6120", 1, 300*time.Millisecond, 0, nil)
	if r.Done != 0 || r.Errors == 0 || r.FirstError == "" || r.ServerCPU != -1 {
		t.Fatalf("%+v", r)
	}
}

// TestSourceIPs: the n-th connection comes from the n-th address, in turn.
func TestSourceIPs(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tg := Target{Addr: l.Addr().String(), Timeout: 5 * time.Second,
		SourceIPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 2)}}
	for n, want := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.1"} {
		c, err := tg.dial(n)
		if err != nil {
			t.Fatal(err)
		}
		s, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if got := s.RemoteAddr().(*net.TCPAddr).IP.String(); got != want {
			t.Errorf("connection %d from %s, want %s", n, got, want)
		}
		s.Close()
		c.Close()
	}
}

// TestLoginAccounts: MakeAccounts registers bench0…bench4 (a second call
// finds them taken and succeeds), and Login spreads its logins over them
// in turn: over six names of which five exist, every sixth login fails.
func TestLoginAccounts(t *testing.T) {
	tg, _, set := startServerWith(t, func(c *config.Config) {
		c.Auth.InBandRegistration = true
		c.Limits.MaxConnsPerIP = 0
	})
	tg.Accounts = 5
	for range 2 {
		if err := MakeAccounts(context.Background(), tg, 3, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		if _, err := set.Store.Lookup("bench" + strconv.Itoa(i)); err != nil {
			t.Errorf("bench%d: %v", i, err)
		}
	}
	if _, err := set.Store.Lookup("bench5"); err == nil {
		t.Error("bench5 made, want 5 accounts")
	}
	// Counts, not times: each run ends once it has done enough (stopWhen).
	ctx, progress := stopWhen(t, func(done, errs int64) bool { return done >= 5 || errs > 0 })
	r := Login(ctx, tg, "legacy", 2, time.Minute, 0, progress)
	if r.Done < 5 || r.Errors != 0 {
		t.Fatalf("%+v", r)
	}
	tg.Accounts = 6
	ctx, progress = stopWhen(t, func(done, errs int64) bool { return done+errs >= 12 })
	r = Login(ctx, tg, "rfc6120", 1, time.Minute, 0, progress)
	if n := r.Done + r.Errors; r.Done < 5 || r.Errors < n/6 || r.Errors > n/6+1 || !strings.Contains(r.FirstError, "failure") {
		t.Fatalf("over 6 names, 5 accounts: %+v", r)
	}
	// Wrong password on the spread accounts: every login fails.
	tg.Password = "wrong"
	r = Login(context.Background(), tg, "rfc6120", 1, 200*time.Millisecond, 0, nil)
	if r.Done != 0 || r.Errors == 0 {
		t.Fatalf("%+v", r)
	}
}
