package irc

import (
	"fmt"
	"net"

	"jabberd/lab"
	"jabberd/listener"
	"jabberd/transport"
)

// The IRC server's ports: the plaintext one ([irc] address, STARTTLS), the
// direct-TLS one ([irc] tls_address, RFC 7194: TLS from the first byte,
// conventionally 6697), the per-profile ones ([lab] profile_ports), and
// for a port that plays sts-bad-port a TLS port of its own whose
// certificate is bad, which its sts=port= names.

// listenPort is one listening socket and what its connections start with.
type listenPort struct {
	profile *lab.Profile // nil: standard
	// dedicated: the port serves that one profile (a per-profile port).
	dedicated bool
	// direct: TLS from the first byte (tls_address, a bad sts port).
	direct bool
	// name is the listener's name in transcripts: "irc" or "irc-tls".
	name string
	// correlateAs is the plaintext port a bad sts port's connections are
	// correlated with (its fallbacks), "" for the port's own address.
	correlateAs string
	// stsBadPort is the port sts-bad-port names on this plaintext port (0:
	// none).
	stsBadPort int
}

// Listener names in transcripts and on the status page.
const (
	listenerPlain  = "irc"
	listenerDirect = "irc-tls"
)

// listenTLS opens [irc] tls_address, the direct-TLS port, with the
// listener's profile (a handshake profile bends its handshakes as it does
// STARTTLS's).
func (s *Server) listenTLS() (net.Addr, error) {
	address := s.opt.Config.TLSAddress
	l, err := listener.Listen(address, s.opt.TCPKeepAlive)
	if err != nil {
		return nil, fmt.Errorf("irc: listen on %s (irc.tls_address): %w", address, err)
	}
	s.mu.Lock()
	s.tlsListener = l
	s.mu.Unlock()
	s.servePort(l, &listenPort{profile: s.profile, direct: true, name: listenerDirect})
	return l.Addr(), nil
}

// plainPort is what a plaintext port's connections start with; for a port
// that plays sts-bad-port it first opens the bad TLS port (on the same
// host, any free port) that sts=port= will name.
func (s *Server) plainPort(l net.Listener, profile *lab.Profile, dedicated bool) *listenPort {
	p := &listenPort{profile: profile, dedicated: dedicated && profile != nil, name: listenerPlain}
	if profile == nil || !profile.Effect.STSBadPort {
		return p
	}
	host, _, err := net.SplitHostPort(l.Addr().String())
	if err == nil {
		var bad net.Listener
		if bad, err = listener.Listen(net.JoinHostPort(host, "0"), s.opt.TCPKeepAlive); err == nil {
			s.servePort(bad, &listenPort{profile: profile, dedicated: true, direct: true, name: listenerDirect, correlateAs: l.Addr().String()})
			p.stsBadPort = bad.Addr().(*net.TCPAddr).Port
			return p
		}
	}
	s.log.Error().Err(err).Str("address", l.Addr().String()).Msg("no TLS port for sts-bad-port: its plaintext port advertises no sts policy")
	return p
}

// servePort accepts on l in the background.
func (s *Server) servePort(l net.Listener, p *listenPort) {
	ev := s.log.Info().Str("address", l.Addr().String())
	if p.direct {
		ev = ev.Str("tls", "direct")
	} else {
		ev = ev.Str("tls", string(s.opt.Config.TLS))
	}
	if p.profile != nil {
		ev = ev.Str("profile", p.profile.Name)
	}
	if p.correlateAs != "" {
		ev = ev.Str("sts_port_of", p.correlateAs)
	}
	if p.stsBadPort != 0 {
		ev = ev.Int("sts_bad_port", p.stsBadPort)
	}
	ev.Msg("listening")
	s.pool.Serve(l, func(nc net.Conn, ip string, refusal listener.Refusal) listener.Conn {
		core := transport.New(s.core, nc, s.ids.Next(), ip)
		c := &conn{core: core, srv: s, refusal: refusal, profile: p.profile, dedicated: p.dedicated, port: p}
		c.m = NewMachine(s.mcfg, c, ip)
		c.m.SetSTSBadPort(p.stsBadPort)
		c.labStart()
		core.Run(c)
		return core
	})
}

// TLSAddr is the direct-TLS listener's address ([irc] tls_address), nil
// when there is none.
func (s *Server) TLSAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tlsListener == nil {
		return nil
	}
	return s.tlsListener.Addr()
}
