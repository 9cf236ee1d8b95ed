// Package server is the XMPP listener: it accepts connections on the
// configured addresses and runs each as an XMPP driver (the tokenizer, the
// pure negotiation machine, the hand-off to the router) on the protocol-
// neutral connection core of package transport. The composition of the
// whole application (IRC, the status page, the store) is package app's.
package server

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/auth/external"
	"jabberd/chat"
	"jabberd/config"
	"jabberd/lab"
	"jabberd/listener"
	"jabberd/negotiation"
	"jabberd/starttls"
	"jabberd/stream"
	"jabberd/tlspolicy"
	"jabberd/transport"
)

// Options are the server's collaborators, built by the caller at start-up.
type Options struct {
	Config *config.Config
	// TLS upgrades connections; nil means no listener may offer STARTTLS.
	TLS *starttls.Server
	// DirectTLS serves direct-TLS listeners (XEP-0368): the same
	// certificate, with ALPN xmpp-client. nil means TLS.
	DirectTLS *starttls.Server
	// VerifyClient checks a client certificate chain after the handshake;
	// nil means no certificate ever counts as verified.
	VerifyClient starttls.VerifyFunc
	Log          zerolog.Logger
	// NewID overrides stream-id generation (tests).
	NewID func() string
	// Auth is the authentication policy handed to every machine; nil
	// offers no authentication.
	Auth *negotiation.Auth
	// Identities maps a verified client certificate to accounts (EXTERNAL).
	Identities *external.Mapper
	// Data holds accounts, rosters and offline messages for the router.
	Data chat.Data
	// Version is reported by jabber:iq:version.
	Version string
	// ExtraFeatures are disco#info features of optional parts that are on.
	ExtraFeatures []string
	// Provision creates the account of a certificate identity that logged
	// in with EXTERNAL and has none (auth.external_auto_provision); nil
	// when off.
	Provision func(name string) error
	// Lab keeps the connections' transcripts; nil records none.
	Lab *lab.Recorder
	// LabTLS holds the TLS variants of the lab profiles (certificate
	// faults, TLS 1.0, the slow handshake); nil when no profile can be
	// chosen. SetLab replaces it.
	LabTLS *lab.TLS
	// Metrics counts connections, handshakes and logins; ChatMetrics
	// routed stanzas and offline messages. nil counts nothing.
	Metrics     transport.Metrics
	ChatMetrics chat.Metrics
	// Components are the in-process services on their own domains (the
	// multi-user chat service) the router hands stanzas to.
	Components []chat.Component
	// IQHandlers answer IQs of their own namespaces for the accounts
	// (vcard-temp); see chat.IQHandler.
	IQHandlers []chat.IQHandler
	// Archiver keeps the messages between accounts (XEP-0313); nil keeps
	// none.
	Archiver chat.Archiver
}

// Server is a running jabberd.
type Server struct {
	opt    Options
	cfg    *config.Config
	log    zerolog.Logger
	pool   *listener.Pool
	ctx    context.Context // the pool's: cancelled when shutdown begins
	router *chat.Router
	sm     smTable // XEP-0198 sessions that may be resumed

	// testHookEvent is called on a connection's goroutine with every event
	// read from its client. nil except in tests, which set it before Listen.
	testHookEvent func(negotiation.Event)

	ids *listener.IDs
	// core is what every XMPP connection's core shares.
	core *transport.Settings
	// lab is what a new connection's profile choice starts from
	// ([lab] client_choice and the profiles' TLS); SetLab replaces it.
	lab atomic.Pointer[lab.ChoiceOptions]
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
	pool := listener.New(poolLimits(opt.Config.Limits), opt.Log)
	s := &Server{
		opt: opt, cfg: opt.Config, log: opt.Log,
		pool: pool, ctx: pool.Context(),
		router: chat.NewRouter(opt.Config.Domain, opt.Data, chat.Options{
			MaxBlocklistItems: opt.Config.Chat.MaxBlocklistItems,
			BlocklistCache:    opt.Config.Chat.BlocklistCache,

			OfflineQuota:  opt.Config.Chat.OfflineQuota,
			Version:       opt.Version,
			ExtraFeatures: opt.ExtraFeatures,
			Metrics:       opt.ChatMetrics,
			Components:    opt.Components,
			IQHandlers:    opt.IQHandlers,
			Archiver:      opt.Archiver,
		}, opt.Log),
	}
	s.ids = listener.NewIDs("c")
	s.core = &transport.Settings{
		Context:      pool.Context(),
		Shutdown:     stream.Errorf(stream.SystemShutdown, "the server is shutting down"),
		VerifyClient: opt.VerifyClient,
		Identities:   opt.Identities,
		Undelivered: func(item any) {
			// A session with stream management keeps its own (smItem).
			if el, ok := item.(*etree.Element); ok {
				s.router.StoreUndeliverable(el)
			}
		},
		LateWindow: opt.Config.Lab.ListenAfterFailure.Duration,
		IdleGrace:  transport.DefaultIdleGrace,
		Log:        opt.Log,
		Metrics:    opt.Metrics,
	}
	s.SetLab(opt.Config.Lab.ClientChoice, opt.LabTLS)
	return s, nil
}

// SetLab changes, for the connections that start from now on, whether a
// connection may choose its own profile and the profiles' TLS (a reload).
func (s *Server) SetLab(clientChoice bool, labTLS *lab.TLS) {
	s.lab.Store(&lab.ChoiceOptions{ClientChoice: clientChoice, TLS: labTLS})
}

// Listen opens every configured listener and starts accepting. It returns
// the bound addresses (useful with port 0) or the first error, having closed
// what it opened.
func (s *Server) Listen() ([]net.Addr, error) {
	var addrs []net.Addr
	for _, lc := range s.cfg.Listen {
		l, err := listener.Listen(lc.Address, s.cfg.Limits.TCPKeepAlive.Duration)
		if err != nil {
			s.pool.CloseListeners()
			return nil, fmt.Errorf("listen on %s: %w", lc.Address, err)
		}
		addrs = append(addrs, l.Addr())
		s.Serve(l, lc)
	}
	return addrs, nil
}

// Serve accepts connections on l with the settings of lc, in the background.
func (s *Server) Serve(l net.Listener, lc config.Listener) {
	mcfg := &negotiation.Config{Domain: s.cfg.Domain, TLS: lc.TLS, NewID: s.opt.NewID, Auth: s.opt.Auth}
	if s.cfg.Chat.StreamManagement {
		rt := s.cfg.Chat.SMResumeTimeout.Duration
		mcfg.SM = &negotiation.SM{Resume: rt > 0, MaxResume: int(rt / time.Second)}
	}
	mcfg.CSI = s.cfg.Chat.CSIMaxHeld > 0
	ll := newListenerLab(lc)
	if s.opt.TLS != nil {
		mcfg.TLSReady = s.opt.TLS.Ready
	}
	direct := lc.TLS == tlspolicy.Direct
	s.log.Info().Str("address", l.Addr().String()).Str("tls", string(lc.TLS)).Msg("listening")
	s.pool.Serve(l, func(nc net.Conn, ip string, refusal listener.Refusal) listener.Conn {
		core := transport.New(s.core, nc, s.ids.Next(), ip)
		c := &conn{core: core, srv: s, m: negotiation.New(mcfg), refusal: refusal, direct: direct}
		c.labStart(ll)
		core.Run(c)
		return core
	})
}

// Router returns the table of bound sessions.
func (s *Server) Router() *chat.Router { return s.router }

// ConnCount returns the number of open connections.
func (s *Server) ConnCount() int { return s.pool.Count() }

// Shutdown stops accepting, asks every connection to end its stream with
// system-shutdown, and waits for them until ctx ends; then it closes what
// is left. It returns ctx's error if connections had to be cut.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.pool.Shutdown(ctx)
	// Sessions waiting to be resumed end too: what they hold goes to
	// offline storage before the store closes.
	s.sm.endAll()
	return err
}

// poolLimits are the connection limits from the configuration; the IRC
// listener's pool gets the same ones.
func poolLimits(l config.Limits) listener.Limits {
	return listener.Limits{PerIP: l.MaxConnsPerIP, Total: l.MaxConns, BytesPerSecond: l.MaxBytesPerSecond, Burst: l.MaxBytesBurst}
}

// streamLimits are the tokenizer limits from the configuration.
func (s *Server) streamLimits() stream.Limits {
	return stream.Limits{MaxBytes: s.cfg.Limits.MaxStanzaBytes, MaxDepth: s.cfg.Limits.MaxDepth}
}
