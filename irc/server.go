// Package irc is jabberd's IRC listener: a small IRC server for one network
// whose speciality, like the XMPP side's, is the STARTTLS upgrade (the IRCv3
// tls capability, numerics 670 and 691), followed by SASL EXTERNAL with the
// client certificate.
//
//	listener ── conn goroutine ── lineReader ──lines──▶ Machine ──actions──▶ conn
//	                              (CRLF framing,         (registration, CAP,   (write, STARTTLS
//	                               knows where the        STARTTLS, SASL,       hand-off, close)
//	                               last line ended)       chat; pure)
//	                                                        │
//	                                                     Network (nicks, channels) ──▶ other conns
//
// The machine is pure (events in, actions out), so every exchange can be a
// transcript in testdata/irc. Nothing after the STARTTLS line reaches the
// parser: the reader's unread bytes go to the TLS handshake (tlsext).
package irc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"jabberd/auth/external"
	"jabberd/config"
	"jabberd/sasl"
	"jabberd/tlsext"
)

// Options are the IRC server's collaborators; server.FromConfig builds them
// from the same TLS server, client verifier and mapper as XMPP's.
type Options struct {
	Config config.IRC
	// ServerName is the source of server lines; Domain the accounts'
	// domain (both the XMPP domain).
	ServerName, Domain string
	// TLS upgrades connections; nil means STARTTLS is never offered.
	TLS *tlsext.Server
	// VerifyClient checks a client certificate chain after the handshake.
	VerifyClient tlsext.VerifyFunc
	// Identities maps a verified certificate to accounts (EXTERNAL).
	Identities *external.Mapper
	// Mechanisms are EXTERNAL and PLAIN as auth.mechanisms lists them.
	Mechanisms    []sasl.Mechanism
	MaxFailures   int
	MaxConnsPerIP int
	Version       string
	Log           zerolog.Logger
	// Behaviour bends STARTTLS for lab profiles; zero is standard.
	Behaviour Behaviour
}

// Server is a running IRC listener.
type Server struct {
	opt    Options
	mcfg   *Config
	log    zerolog.Logger
	ctx    context.Context // cancelled when shutdown begins
	cancel context.CancelFunc

	mu       sync.Mutex
	listener net.Listener
	conns    map[*conn]struct{}
	perIP    map[string]int

	// testHookLine is called on a connection's goroutine with every line
	// read. nil except in tests, which set it before Listen.
	testHookLine func([]byte)

	connWG   sync.WaitGroup
	acceptWG sync.WaitGroup
	nextID   atomic.Uint64
}

// New returns a server ready to Listen.
func New(opt Options) (*Server, error) {
	if opt.Config.TLS.Available() && opt.TLS == nil {
		return nil, fmt.Errorf("irc.tls = %q but no TLS configuration was given", opt.Config.TLS)
	}
	mcfg := &Config{
		ServerName:  opt.ServerName,
		Network:     opt.Config.Network,
		Version:     "jabberd-" + opt.Version,
		Created:     time.Now().UTC().Format(time.RFC1123),
		TLS:         opt.Config.TLS,
		Mechanisms:  opt.Mechanisms,
		Domain:      opt.Domain,
		MaxFailures: opt.MaxFailures,
		Net:         NewNetwork(nil),
		Behaviour:   opt.Behaviour,
	}
	if opt.TLS != nil {
		mcfg.TLSReady = opt.TLS.Ready
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		opt: opt, mcfg: mcfg, log: opt.Log.With().Str("proto", "irc").Logger(),
		ctx: ctx, cancel: cancel,
		conns: map[*conn]struct{}{}, perIP: map[string]int{},
	}, nil
}

// Listen opens the configured address and accepts in the background.
func (s *Server) Listen() (net.Addr, error) {
	l, err := net.Listen("tcp", s.opt.Config.Address)
	if err != nil {
		return nil, fmt.Errorf("irc: listen on %s: %w", s.opt.Config.Address, err)
	}
	s.Serve(l)
	return l.Addr(), nil
}

// Serve accepts connections on l in the background.
func (s *Server) Serve(l net.Listener) {
	s.mu.Lock()
	s.listener = l
	s.mu.Unlock()
	s.log.Info().Str("address", l.Addr().String()).Str("tls", string(s.opt.Config.TLS)).Msg("listening")
	s.acceptWG.Add(1)
	go func() {
		defer s.acceptWG.Done()
		s.accept(l)
	}()
}

// Addr is the listening address, nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return nil
	}
	return s.listener.Addr()
}

func (s *Server) accept(l net.Listener) {
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and go on.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Error().Err(err).Dur("retry_in", backoff).Msg("accept failed")
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if c := s.newConn(nc); c != nil {
			go c.serve()
		}
	}
}

// newConn registers a connection, or returns nil when the server is
// stopping. Over the per-IP limit the connection is told so and closed by
// its own goroutine.
func (s *Server) newConn(nc net.Conn) *conn {
	ip := remoteIP(nc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		nc.Close()
		return nil
	}
	c := newConn(s, nc, "i"+strconv.FormatUint(s.nextID.Add(1), 10), ip)
	s.perIP[ip]++
	c.overLimit = s.opt.MaxConnsPerIP > 0 && s.perIP[ip] > s.opt.MaxConnsPerIP
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

// Shutdown stops accepting, ends every connection with an ERROR line, and
// waits for them until ctx ends; then it closes what is left and returns
// ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.cancel()
	if s.listener != nil {
		s.listener.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.acceptWG.Wait()
	s.log.Info().Int("connections", len(conns)).Msg("shutting down")
	for _, c := range conns {
		c.stopWith("Server shutting down")
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
