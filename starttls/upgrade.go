// Package starttls performs the server side of a STARTTLS upgrade for any
// line- or stream-oriented protocol (XMPP, IRC): it replays the bytes the
// protocol reader had buffered past the request into the handshake, bounds
// the handshake with a deadline and reports what was negotiated.
package starttls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Result describes an established TLS connection.
type Result struct {
	Conn        *tls.Conn
	Version     uint16
	CipherSuite uint16
	ServerName  string // SNI, "" if none
	ALPN        string
	// PeerCertificates is the client's chain as sent (leaf first).
	PeerCertificates []*x509.Certificate
	// Exporter returns tls-exporter channel-binding data (RFC 9266); nil
	// when the connection has none (TLS 1.2 without extended master
	// secret). Under TLS 1.3 the data is derived at the first call: only a
	// SCRAM-*-PLUS login needs it, and deriving it is key-schedule work
	// and some 2 KB of allocations that every other login would pay.
	Exporter func() []byte
	// ServerEndPoint is tls-server-end-point channel-binding data (RFC 5929).
	ServerEndPoint []byte
	// Skipped counts the leading bytes dropped before the handshake.
	Skipped int
}

// VersionName returns "TLS 1.3" and the like.
func (r *Result) VersionName() string { return tls.VersionName(r.Version) }

// CipherName returns the IANA name of the cipher suite.
func (r *Result) CipherName() string {
	if n, ok := suiteNames[r.CipherSuite]; ok {
		return n
	}
	return tls.CipherSuiteName(r.CipherSuite)
}

// suiteNames: tls.CipherSuiteName builds the list of every suite (some 60
// allocations) at each call, and every connection's log line and
// transcript names its suite.
var suiteNames = func() map[uint16]string {
	m := map[uint16]string{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		m[s.ID] = s.Name
	}
	return m
}()

// Server upgrades connections with one TLS configuration at a time. What
// can be computed once per certificate (the channel-binding hash) is, here.
// Replace swaps the configuration for the handshakes that start after it:
// established connections keep theirs.
type Server struct {
	state   atomic.Pointer[serverState]
	timeout time.Duration
}

// serverState is one configuration with what was derived from it; a
// handshake reads one, so the certificate it serves and the channel
// binding it reports always agree.
type serverState struct {
	cfg      *tls.Config
	leaf     *x509.Certificate
	endPoint []byte
}

// NewServer prepares upgrades with cfg, which must hold exactly one
// certificate (the one whose hash tls-server-end-point carries).
func NewServer(cfg *tls.Config, handshakeTimeout time.Duration) (*Server, error) {
	s := &Server{timeout: handshakeTimeout}
	if err := s.Replace(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// Replace makes cfg (with the same rule as NewServer's) the configuration
// of every handshake from now on; on error nothing changes.
func (s *Server) Replace(cfg *tls.Config) error {
	if len(cfg.Certificates) != 1 || len(cfg.Certificates[0].Certificate) == 0 {
		return fmt.Errorf("TLS configuration must hold exactly one server certificate, has %d", len(cfg.Certificates))
	}
	leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		return fmt.Errorf("parse server certificate: %w", err)
	}
	cfg = cfg.Clone()
	// One hook for every connection: an upgrade that brought a Choose
	// function (a lab profile) decides its configuration once the
	// ClientHello (and its SNI) is known; the others use cfg as it is.
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if rc, ok := hello.Conn.(*replayConn); ok && rc.choose != nil {
			return rc.choose(hello)
		}
		return nil, nil
	}
	s.state.Store(&serverState{cfg: cfg, leaf: leaf, endPoint: serverEndPoint(leaf)})
	return nil
}

// Certificate is the server certificate handshakes present now.
func (s *Server) Certificate() *x509.Certificate { return s.state.Load().leaf }

// Choose picks the TLS configuration of one handshake from its ClientHello;
// nil, nil means the server's own. It may block (a deliberately slow
// handshake) but must watch hello.Context().
type Choose func(hello *tls.ClientHelloInfo) (*tls.Config, error)

// Ready reports a server-side problem that would make every handshake fail
// or be refused by correct clients: a server certificate that has expired
// or is not valid yet.
func (s *Server) Ready() error {
	now, leaf := time.Now(), s.state.Load().leaf
	switch {
	case now.After(leaf.NotAfter):
		return fmt.Errorf("the server certificate expired on %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return fmt.Errorf("the server certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}

// Config returns the TLS configuration in force (shared; do not modify).
func (s *Server) Config() *tls.Config { return s.state.Load().cfg }

// Upgrade runs the server side of the handshake on conn. early are the bytes
// that arrived after the STARTTLS request and were buffered by the protocol
// reader: they are the start of the client's handshake (a pipelined
// ClientHello) and are given to TLS, never to the protocol parser. Plaintext
// injected there therefore fails the handshake instead of being obeyed.
//
// skip lists bytes the protocol allows between its request and the
// handshake (XML whitespace for XMPP): leading ones are dropped, whether
// buffered or still to come. A TLS record starts with 0x16, so nothing that
// could be obeyed is ever dropped.
func (s *Server) Upgrade(ctx context.Context, conn net.Conn, early []byte, skip string) (*Result, error) {
	return s.UpgradeWith(ctx, conn, early, skip, nil)
}

// UpgradeWith is Upgrade with a per-connection choice of configuration.
func (s *Server) UpgradeWith(ctx context.Context, conn net.Conn, early []byte, skip string, choose Choose) (*Result, error) {
	if timeout := s.timeout; timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
		// The deadline also bounds reads and writes under the handshake, so
		// that a silent peer cannot hold the goroutine past the timeout even
		// if the context is not watched at some point.
		_ = conn.SetDeadline(time.Now().Add(timeout))
		defer conn.SetDeadline(time.Time{})
	}
	st := s.state.Load()
	rc := &replayConn{Conn: conn, early: early, skip: skip, choose: choose}
	tc := tls.Server(rc, st.cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	r := describe(tc)
	r.ServerEndPoint = st.endPoint
	r.Skipped = rc.skipped
	return r, nil
}

// describe collects what was negotiated.
func describe(tc *tls.Conn) *Result {
	cs := tc.ConnectionState()
	r := &Result{
		Conn:             tc,
		Version:          cs.Version,
		CipherSuite:      cs.CipherSuite,
		ServerName:       cs.ServerName,
		ALPN:             cs.NegotiatedProtocol,
		PeerCertificates: cs.PeerCertificates,
	}
	r.Exporter = exporter(tc, &cs)
	return r
}

// exporter is Result.Exporter for the connection tc whose state is cs:
// nil when it has no exporter.
func exporter(tc *tls.Conn, cs *tls.ConnectionState) func() []byte {
	if cs.Version >= tls.VersionTLS13 {
		// TLS 1.3 always has one (RFC 8446 §7.5). What waits for the
		// first call is small: a live session keeps it.
		l := &lazyExporter{tc: tc}
		return l.get
	}
	ekm, err := cs.ExportKeyingMaterial(exporterLabel, nil, 32) // TLS 1.2: with extended master secret only
	if err != nil {
		return nil
	}
	return func() []byte { return ekm }
}

// exporterLabel is RFC 9266's.
const exporterLabel = "EXPORTER-Channel-Binding"

// lazyExporter derives tls-exporter data once, when first asked.
type lazyExporter struct {
	once sync.Once
	tc   *tls.Conn
	ekm  []byte
}

func (l *lazyExporter) get() []byte {
	l.once.Do(func() {
		cs := l.tc.ConnectionState()
		l.ekm, _ = cs.ExportKeyingMaterial(exporterLabel, nil, 32) // cannot fail under TLS 1.3
		l.tc = nil
	})
	return l.ekm
}

// replayConn reads early first, then the connection, dropping leading
// bytes found in skip until the first other byte.
type replayConn struct {
	net.Conn
	early   []byte
	skip    string
	skipped int
	choose  Choose
}

func (c *replayConn) Read(p []byte) (int, error) {
	for {
		var n int
		var err error
		if len(c.early) > 0 {
			n = copy(p, c.early)
			c.early = c.early[n:]
		} else {
			n, err = c.Conn.Read(p)
		}
		if c.skip == "" || n == 0 {
			return n, err
		}
		i := 0
		for i < n && strings.IndexByte(c.skip, p[i]) >= 0 {
			i++
		}
		c.skipped += i
		if i < n {
			c.skip = "" // the handshake has begun: nothing more is dropped
			return copy(p, p[i:n]), err
		}
		if err != nil {
			return 0, err
		}
	}
}
