// Package server accepts connections on the configured listeners and runs
// one negotiation per connection, wiring the tokenizer, the state machine and
// the TLS upgrade together. It also owns the shutdown sequence.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"jabberd/auth/external"
	"jabberd/config"
	"jabberd/irc"
	"jabberd/negotiation"
	"jabberd/session"
	"jabberd/stream"
	"jabberd/tlsext"
)

// Options are the server's collaborators, built by the caller at start-up.
type Options struct {
	Config *config.Config
	// TLS upgrades connections; nil means no listener may offer STARTTLS.
	TLS *tlsext.Server
	// DirectTLS serves direct-TLS listeners (XEP-0368): the same
	// certificate, with ALPN xmpp-client. nil means TLS.
	DirectTLS *tlsext.Server
	// VerifyClient checks a client certificate chain after the handshake;
	// nil means no certificate ever counts as verified.
	VerifyClient tlsext.VerifyFunc
	Log          zerolog.Logger
	// NewID overrides stream-id generation (tests).
	NewID func() string
	// Auth is the authentication policy handed to every machine; nil
	// offers no authentication.
	Auth *negotiation.Auth
	// Identities maps a verified client certificate to accounts (EXTERNAL).
	Identities *external.Mapper
	// Data holds accounts, rosters and offline messages for the router.
	Data session.Data
	// Version is reported by jabber:iq:version.
	Version string
	// ExtraFeatures are disco#info features of optional parts that are on.
	ExtraFeatures []string
	// IRC is the IRC listener ([irc] enabled), nil when off. It starts
	// and stops with the XMPP listeners.
	IRC *irc.Server
}

// Server is a running jabberd.
type Server struct {
	opt    Options
	cfg    *config.Config
	log    zerolog.Logger
	ctx    context.Context // cancelled when shutdown begins
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[*conn]struct{}
	perIP     map[string]int

	router *session.Router

	// testHookEvent is called on a connection's goroutine with every event
	// read from its client. nil except in tests, which set it before Listen.
	testHookEvent func(negotiation.Event)

	connWG   sync.WaitGroup
	acceptWG sync.WaitGroup
	nextID   atomic.Uint64
}

// New returns a server ready to Listen.
func New(opt Options) (*Server, error) {
	if opt.TLS == nil {
		for _, l := range opt.Config.Listen {
			if l.TLS.UsesTLS() {
				return nil, fmt.Errorf("listener %s offers TLS (tls = %q) but no TLS configuration was given", l.Address, l.TLS)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		opt: opt, cfg: opt.Config, log: opt.Log,
		ctx: ctx, cancel: cancel,
		conns: map[*conn]struct{}{}, perIP: map[string]int{},
		router: session.NewRouter(opt.Config.Domain, opt.Data, session.Options{
			OfflineQuota:  opt.Config.Chat.OfflineQuota,
			Version:       opt.Version,
			ExtraFeatures: opt.ExtraFeatures,
		}, opt.Log),
	}, nil
}

// Listen opens every configured listener and starts accepting. It returns
// the bound addresses (useful with port 0) or the first error, having closed
// what it opened.
func (s *Server) Listen() ([]net.Addr, error) {
	var addrs []net.Addr
	for _, lc := range s.cfg.Listen {
		l, err := net.Listen("tcp", lc.Address)
		if err != nil {
			s.closeListeners()
			return nil, fmt.Errorf("listen on %s: %w", lc.Address, err)
		}
		addrs = append(addrs, l.Addr())
		s.Serve(l, lc)
	}
	if s.opt.IRC != nil {
		if _, err := s.opt.IRC.Listen(); err != nil {
			s.closeListeners()
			return nil, err
		}
	}
	return addrs, nil
}

// Serve accepts connections on l with the settings of lc, in the background.
func (s *Server) Serve(l net.Listener, lc config.Listener) {
	s.mu.Lock()
	s.listeners = append(s.listeners, l)
	s.mu.Unlock()
	mcfg := &negotiation.Config{Domain: s.cfg.Domain, TLS: lc.TLS, NewID: s.opt.NewID, Auth: s.opt.Auth}
	if s.opt.TLS != nil {
		mcfg.TLSReady = s.opt.TLS.Ready
	}
	direct := lc.TLS == config.TLSDirect
	s.log.Info().Str("address", l.Addr().String()).Str("tls", string(lc.TLS)).Msg("listening")
	s.acceptWG.Add(1)
	go func() {
		defer s.acceptWG.Done()
		s.accept(l, mcfg, direct)
	}()
}

func (s *Server) accept(l net.Listener, mcfg *negotiation.Config, direct bool) {
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and go on, as
			// net/http does, rather than spin or give up.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Error().Err(err).Dur("retry_in", backoff).Msg("accept failed")
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		c := s.newConn(nc, mcfg)
		if c == nil {
			continue
		}
		c.direct = direct
		go c.serve()
	}
}

// newConn registers a connection, or returns nil when the server is
// stopping. The per-IP limit is enforced by the connection itself so that
// the refusal is a proper stream error.
func (s *Server) newConn(nc net.Conn, mcfg *negotiation.Config) *conn {
	ip := remoteIP(nc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		nc.Close()
		return nil
	}
	id := s.nextID.Add(1)
	c := newConn(s, nc, mcfg, id, ip)
	s.perIP[ip]++
	c.overLimit = s.cfg.Limits.MaxConnsPerIP > 0 && s.perIP[ip] > s.cfg.Limits.MaxConnsPerIP
	s.conns[c] = struct{}{}
	s.connWG.Add(1)
	return c
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	s.mu.Unlock()
	s.connWG.Done()
}

// Router returns the table of bound sessions.
func (s *Server) Router() *session.Router { return s.router }

// ConnCount returns the number of open connections.
func (s *Server) ConnCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func remoteIP(nc net.Conn) string {
	host, _, err := net.SplitHostPort(nc.RemoteAddr().String())
	if err != nil {
		return nc.RemoteAddr().String()
	}
	return host
}

// Shutdown stops accepting, asks every connection to end its stream with
// system-shutdown (IRC connections with an ERROR line), and waits for them
// until ctx ends; then it closes what is left. It returns ctx's error if
// connections had to be cut.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.opt.IRC == nil {
		return s.shutdownXMPP(ctx)
	}
	ircErr := make(chan error, 1)
	go func() { ircErr <- s.opt.IRC.Shutdown(ctx) }()
	return errors.Join(s.shutdownXMPP(ctx), <-ircErr)
}

func (s *Server) shutdownXMPP(ctx context.Context) error {
	s.mu.Lock()
	s.cancel()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.closeListeners()
	s.acceptWG.Wait()
	s.log.Info().Int("connections", len(conns)).Msg("shutting down")
	for _, c := range conns {
		c.stopWith(stream.Errorf(stream.SystemShutdown, "the server is shutting down"))
	}
	done := make(chan struct{})
	go func() { s.connWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.kill()
		}
		s.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		l.Close()
	}
	s.listeners = nil
}

// streamLimits are the tokenizer limits from the configuration.
func (s *Server) streamLimits() stream.Limits {
	return stream.Limits{MaxBytes: s.cfg.Limits.MaxStanzaBytes, MaxDepth: s.cfg.Limits.MaxDepth}
}
