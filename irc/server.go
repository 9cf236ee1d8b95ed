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
// parser: the reader's unread bytes go to the TLS handshake (starttls).
package irc

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
	"jabberd/lab"
	"jabberd/listener"
	"jabberd/sasl"
	"jabberd/starttls"
	"jabberd/transport"
)

// Options are the IRC server's collaborators; app.FromConfig builds them
// from the same TLS server, client verifier and mapper as XMPP's.
type Options struct {
	Config config.IRC
	// ServerName is the source of server lines; Domain the accounts'
	// domain (both the XMPP domain).
	ServerName, Domain string
	// TLS upgrades connections; nil means STARTTLS is never offered.
	TLS *starttls.Server
	// VerifyClient checks a client certificate chain after the handshake.
	VerifyClient starttls.VerifyFunc
	// Identities maps a verified certificate to accounts (EXTERNAL).
	Identities *external.Mapper
	// Mechanisms are EXTERNAL and PLAIN as auth.mechanisms lists them.
	Mechanisms    []sasl.Mechanism
	MaxFailures   int
	MaxConnsPerIP int
	// MaxConns bounds this listener's open connections; MaxBytesPerSecond
	// and MaxBytesBurst rate-limit what each reads (limits.*). Zero: none.
	MaxConns          int
	MaxBytesPerSecond int
	MaxBytesBurst     int
	// TCPKeepAlive is the accepted connections' TCP keepalive period
	// (limits.tcp_keepalive); 0: none.
	TCPKeepAlive time.Duration
	Version      string
	Log          zerolog.Logger

	// Lab records each connection's transcript (nil: none).
	Lab *lab.Recorder
	// LabTLS holds the handshakes of the profiles that bend TLS (nil when
	// no profile can).
	LabTLS *lab.TLS
	// Profile is the listener's lab profile ([irc] profile; "" or
	// "standard" for none); it must be one that applies to IRC.
	Profile string
	// ClientChoice lets a connection choose its own profile with a +tag
	// in its USER name or with the TLS SNI ([lab] client_choice).
	ClientChoice bool
	// LateWindow is how long a connection keeps listening after a
	// refused STARTTLS or a failed handshake ([lab] listen_after_failure).
	LateWindow time.Duration
	// PlaintextPasswords lets PLAIN log in before TLS
	// (auth.insecure_allow_passwords_without_tls).
	PlaintextPasswords bool
	// Metrics counts connections, handshakes and logins (nil: nothing).
	Metrics transport.Metrics
}

// Server is a running IRC listener.
type Server struct {
	opt  Options
	mcfg *Config
	log  zerolog.Logger
	pool *listener.Pool
	ctx  context.Context // the pool's: cancelled when shutdown begins

	profile *lab.Profile // the listener's, nil when standard

	mu          sync.Mutex
	listener    net.Listener
	tlsListener net.Listener // [irc] tls_address (ports.go), nil when off

	// testHookLine is called on a connection's goroutine with every line
	// read. nil except in tests, which set it before Listen.
	testHookLine func([]byte)

	ids *listener.IDs
	// core is what every connection's core shares.
	core *transport.Settings
	// lab is what a new connection's profile choice starts from
	// (ClientChoice and LabTLS); SetLab replaces it.
	lab atomic.Pointer[lab.ChoiceOptions]
}

// New returns a server ready to Listen.
func New(opt Options) (*Server, error) {
	if opt.Config.TLS.Available() && opt.TLS == nil {
		return nil, fmt.Errorf("irc.tls = %q but no TLS configuration was given", opt.Config.TLS)
	}
	if opt.Config.TLSAddress != "" && opt.TLS == nil {
		return nil, fmt.Errorf("irc.tls_address = %q but no TLS configuration was given", opt.Config.TLSAddress)
	}
	profile, ok := lab.Lookup(opt.Profile)
	switch {
	case !ok:
		return nil, lab.CheckName(opt.Profile)
	case profile != nil && !profile.IRC:
		return nil, fmt.Errorf("lab profile %q does not apply to IRC", opt.Profile)
	case profile != nil && !opt.Config.TLS.Available():
		return nil, fmt.Errorf("lab profile %q bends TLS, and irc.tls = %q", opt.Profile, opt.Config.TLS)
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

		PlaintextPasswords: opt.PlaintextPasswords,
		STSPort:            opt.Config.STSPort,
		STSDuration:        int(opt.Config.STSDuration.Seconds()),
		STSPersist:         opt.Config.STS(),
	}
	if opt.TLS != nil {
		mcfg.TLSReady = opt.TLS.Ready
	}
	log := opt.Log.With().Str("proto", "irc").Logger()
	pool := listener.New(listener.Limits{PerIP: opt.MaxConnsPerIP, Total: opt.MaxConns,
		BytesPerSecond: opt.MaxBytesPerSecond, Burst: opt.MaxBytesBurst}, log)
	core := &transport.Settings{
		Context: pool.Context(), Shutdown: errors.New("Server shutting down"),
		VerifyClient: opt.VerifyClient, Identities: opt.Identities, Log: log, LateWindow: opt.LateWindow,
		Metrics: opt.Metrics,
	}
	s := &Server{opt: opt, mcfg: mcfg, log: log, pool: pool, ctx: pool.Context(), profile: profile, core: core, ids: listener.NewIDs("i")}
	s.SetLab(opt.ClientChoice, opt.LabTLS)
	return s, nil
}

// SetLab changes, for the connections that start from now on, whether a
// connection may choose its own profile and the profiles' TLS (a reload).
func (s *Server) SetLab(clientChoice bool, labTLS *lab.TLS) {
	s.lab.Store(&lab.ChoiceOptions{IRC: true, ClientChoice: clientChoice, TLS: labTLS})
}

// Listen opens the configured address, and the direct-TLS one when
// [irc] tls_address is set, and accepts in the background. It returns the
// plaintext address (TLSAddr is the other).
func (s *Server) Listen() (net.Addr, error) {
	l, err := listener.Listen(s.opt.Config.Address, s.opt.TCPKeepAlive)
	if err != nil {
		return nil, fmt.Errorf("irc: listen on %s: %w", s.opt.Config.Address, err)
	}
	if s.opt.Config.TLSAddress != "" {
		if _, err := s.listenTLS(); err != nil {
			l.Close()
			return nil, err
		}
	}
	s.Serve(l)
	return l.Addr(), nil
}

// Serve accepts connections on l in the background.
func (s *Server) Serve(l net.Listener) {
	s.mu.Lock()
	s.listener = l
	s.mu.Unlock()
	s.serve(l, s.profile, false)
}

// ListenProfile opens a port of its own for profile p (a per-profile
// port, [lab] profile_ports) and accepts on it in the background.
func (s *Server) ListenProfile(address string, p *lab.Profile) (net.Addr, error) {
	l, err := listener.Listen(address, s.opt.TCPKeepAlive)
	if err != nil {
		return nil, fmt.Errorf("irc: listen on %s: %w", address, err)
	}
	s.serve(l, p, true)
	return l.Addr(), nil
}

// serve accepts on l; its connections start under profile (nil:
// standard). dedicated: the port serves that one profile.
func (s *Server) serve(l net.Listener, profile *lab.Profile, dedicated bool) {
	s.servePort(l, s.plainPort(l, profile, dedicated)) // ports.go
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

// ConnCount returns the number of open connections.
func (s *Server) ConnCount() int { return s.pool.Count() }

// Shutdown stops accepting, ends every connection with an ERROR line, and
// waits for them until ctx ends; then it closes what is left and returns
// ctx's error.
func (s *Server) Shutdown(ctx context.Context) error { return s.pool.Shutdown(ctx) }
