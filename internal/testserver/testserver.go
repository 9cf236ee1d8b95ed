// Package testserver is for tests: the one end-to-end harness the server,
// IRC and interop suites share. It runs a real jabberd from app.FromConfig
// on loopback ports with a fresh state directory and a debug-level JSON log
// the test can wait on, and checks at cleanup what must hold after any test:
// a shutdown that returns, no connection left, nothing logged at error level
// that the test did not allow. Each suite keeps only its protocol client.
package testserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/app"
	"jabberd/certs"
	"jabberd/config"
	"jabberd/internal/logtest"
	"jabberd/tlspolicy"
)

// shutdownTimeout bounds the cleanup's shutdown: a server that hangs there
// fails the test instead of hanging it.
const shutdownTimeout = 10 * time.Second

// errAlreadyShutDown is what Shutdown returns after the first call.
var errAlreadyShutDown = errors.New("already shut down")

// Options change the default test server.
type Options struct {
	// Configure changes the configuration after the harness defaults
	// (state directory, one 127.0.0.1:0 listener with optional STARTTLS,
	// debug JSON log) and before it is validated.
	Configure func(*config.Config)
	// Before touches the setup before Listen: test hooks must be in place
	// before any connection goroutine exists.
	Before func(*app.Setup)
}

// Server is a running jabberd under test.
type Server struct {
	t     testing.TB
	Cfg   *config.Config
	Set   *app.Setup
	Addrs []string // the XMPP listeners' bound addresses, in Cfg.Listen order
	Logs  *logtest.Buffer
	Roots *x509.CertPool // the state's CA, for clients that verify

	shutdownOnce sync.Once
	mu           sync.Mutex
	allowed      map[string]bool
}

// Start runs a server and registers its cleanup with t.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.StateDir = t.TempDir()
	cfg.Listen = []config.Listener{{Address: "127.0.0.1:0", TLS: tlspolicy.Optional}}
	cfg.Upload.Address = "127.0.0.1:0" // parallel tests: never the default port
	cfg.Log.Level = "debug"
	cfg.Log.Format = "json"
	if opt.Configure != nil {
		opt.Configure(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test configuration: %v", err)
	}
	level, err := zerolog.ParseLevel(cfg.Log.Level)
	if err != nil {
		t.Fatal(err)
	}
	logs := logtest.New()
	log := zerolog.New(logs).Level(level).With().Timestamp().Logger()
	set, err := app.FromConfig(cfg, log)
	if err != nil {
		t.Fatalf("app.FromConfig: %v", err)
	}
	if cfg.IRC.Enabled && set.IRC == nil {
		t.Fatalf("app.FromConfig built no IRC listener although irc.enabled = true")
	}
	if opt.Before != nil {
		opt.Before(set)
	}
	addrs, err := set.Listen()
	if err != nil {
		set.Store.Close()
		t.Fatalf("Listen: %v", err)
	}
	if len(addrs) != len(set.Config().Listen) {
		t.Fatalf("Listen returned %d addresses for %d listeners", len(addrs), len(set.Config().Listen))
	}
	s := &Server{t: t, Cfg: cfg, Set: set, Logs: logs, Roots: x509.NewCertPool()}
	for _, a := range addrs {
		s.Addrs = append(s.Addrs, a.String())
	}
	s.Roots.AddCert(set.State.CA.Cert)
	t.Cleanup(s.cleanup)
	return s
}

// Addr is the first XMPP listener's address.
func (s *Server) Addr() string { return s.Addrs[0] }

// IRCAddr is the IRC listener's address.
func (s *Server) IRCAddr() string { return s.Set.IRC.Addr().String() }

// StateDir is the server's state directory.
func (s *Server) StateDir() string { return s.Set.State.Dir }

// Shutdown stops the server once; later calls return an error saying so.
func (s *Server) Shutdown(ctx context.Context) error {
	err := errAlreadyShutDown
	s.shutdownOnce.Do(func() { err = s.Set.Shutdown(ctx) })
	return err
}

// AllowError lets the test end with an error-level entry with message msg.
func (s *Server) AllowError(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.allowed == nil {
		s.allowed = map[string]bool{}
	}
	s.allowed[msg] = true
}

// TLSConfig is a client's side: trust the state's CA, name "localhost",
// present cert when it is not nil.
func (s *Server) TLSConfig(cert *tls.Certificate) *tls.Config {
	cfg := &tls.Config{ServerName: "localhost", RootCAs: s.Roots}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return cfg
}

// ClientCert loads the state directory's certificate for user.
func (s *Server) ClientCert(user string) (tls.Certificate, *x509.Certificate) {
	s.t.Helper()
	crt, key := s.ClientCertFiles(user)
	p, err := certs.Load(crt, key)
	if err != nil {
		s.t.Fatalf("load client certificate %s: %v", user, err)
	}
	return p.TLSCertificate(), p.Cert
}

// ClientCertFiles are the paths of user's certificate and key, for client
// programs.
func (s *Server) ClientCertFiles(user string) (crt, key string) {
	return certs.ClientPaths(s.StateDir(), user)
}

// CAFile is the CA that signed the server certificate, for client programs.
func (s *Server) CAFile() string { return filepath.Join(s.StateDir(), certs.CACertFile) }

// cleanup shuts down and checks what must hold after every test.
func (s *Server) cleanup() {
	t := s.t
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- s.Shutdown(ctx) }()
	select {
	case err := <-res:
		if err != nil && !errors.Is(err, errAlreadyShutDown) {
			t.Errorf("Shutdown at cleanup: %v", err)
		}
		s.checkNoConnections()
	case <-time.After(2 * shutdownTimeout):
		t.Errorf("Shutdown did not return %v after its context ended", shutdownTimeout)
	}
	s.Set.Store.Close()
	s.checkLog()
	if t.Failed() {
		t.Logf("server log:\n%s", s.Logs.String())
	}
}

// checkNoConnections fails the test when a connection outlived Shutdown.
func (s *Server) checkNoConnections() {
	if n := s.Set.Server.ConnCount(); n != 0 {
		s.t.Errorf("XMPP ConnCount after Shutdown = %d, want 0", n)
	}
	if s.Set.IRC != nil {
		if n := s.Set.IRC.ConnCount(); n != 0 {
			s.t.Errorf("IRC ConnCount after Shutdown = %d, want 0", n)
		}
	}
}

// checkLog fails the test on an error-level entry the test did not allow (a
// panic, an accept failure).
func (s *Server) checkLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.Logs.Entries(s.t) {
		if lv := e.Str("level"); (lv == "error" || lv == "fatal" || lv == "panic") && !s.allowed[e.Str("message")] {
			s.t.Errorf("server logged at %s: %s", lv, e)
		}
	}
}
