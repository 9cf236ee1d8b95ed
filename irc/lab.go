package irc

import (
	"bytes"
	"crypto/tls"
	"net"
	"slices"

	"jabberd/lab"
	"jabberd/tlsext"
)

// The lab side of a connection: its transcript, and the profile in force,
// which the listener sets ([irc] profile) and the client may override for
// itself ([lab] client_choice): by a +profile tag in the user name of its
// USER line, then by the TLS SNI, which wins. Only the profiles that apply
// to IRC are taken; the machine sees them as a Behaviour.

// labFailStartTLS is the text of 691 under fail-starttls: a tester reading
// the wire must not take it for a real server problem.
const labFailStartTLS = "STARTTLS failed: refused on purpose (lab profile fail-starttls)"

// behaviourOf turns a profile into the machine's knobs (nil: standard).
func behaviourOf(p *lab.Profile) Behaviour {
	if p == nil {
		return Behaviour{}
	}
	e := p.Effect
	b := Behaviour{StripStartTLS: e.StripStartTLS}
	if e.FailStartTLS {
		b.FailStartTLS = labFailStartTLS
	}
	if e.Inject {
		b.InjectAfter670 = lab.IRCInjection
	}
	return b
}

// labOpen opens the connection's transcript. It runs in newConn, before
// anything can be written to the connection.
func (c *conn) labOpen() {
	c.tr = c.srv.opt.Lab.Start(c.id, "irc", c.tcp.RemoteAddr().String(), c.ip)
	if c.tr != nil {
		c.tr.SetDialect("irc")
	}
}

// useProfile puts p in force from now on, if it applies to IRC.
func (c *conn) useProfile(p *lab.Profile, by string) {
	if !p.IRC {
		if c.tr != nil {
			c.tr.Event("profile " + p.Name + " (selected by " + by + ") does not apply to IRC: ignored")
		}
		return
	}
	c.profile, c.chosenBy = p, by
	c.m.SetBehaviour(behaviourOf(p))
	if c.tr != nil {
		c.tr.Choose(p, by)
	}
	c.lg().Info().Str("profile", p.Name).Str("selected_by", by).Msg("lab profile in force")
}

// clientChoice reports whether the client may pick its own profile now:
// the configuration allows it, and SNI (which wins) has not picked one.
func (c *conn) clientChoice() bool {
	return c.srv.opt.ClientChoice && c.chosenBy != lab.BySNI
}

// labLine looks at a line before the machine does: a +profile tag in the
// user name of USER chooses the profile, and is taken off the name the
// machine sees. The function it returns records the line once the machine
// has answered (nil when transcripts are off): whether the line completed
// registration decides what it means for the verdicts.
func (c *conn) labLine(ev LineEvent) (LineEvent, func([]Action)) {
	line := ev.Line
	msg, perr := ParseLine(line)
	if perr == nil && msg.Command == "USER" && len(msg.Params) > 0 && c.m.State() == Unregistered && c.clientChoice() {
		if p, rest, ok := lab.FromUsername(msg.Params[0]); ok {
			if p != c.profile {
				c.useProfile(p, lab.ByUsername)
			}
			params := slices.Clone(msg.Params)
			params[0] = rest
			ev = LineEvent{Line: []byte(format("", "USER", params, false))}
		}
	}
	if c.tr == nil {
		return ev, nil
	}
	n := c.inLen
	text, red, in := describeLine(line)
	before := c.m.State()
	return ev, func(actions []Action) {
		welcomed := slices.ContainsFunc(actions, func(a Action) bool { return a.Kind == Welcomed })
		switch {
		case welcomed:
			// Registration completed (USER, NICK or CAP END): in
			// plaintext, the client goes on without TLS.
			in.Capabilities = false
		case perr == nil && before == Unregistered && (msg.Command == "NICK" || msg.Command == "USER"):
			// Registration stays pending (CAP negotiation, or half of
			// NICK and USER): as harmless before STARTTLS as CAP, and
			// what pipelining clients send before they read CAP LS.
			in.Capabilities = true
		}
		c.tr.In(text, n, red, in)
	}
}

// labFlooded records a line read past the flood limit, which ends the
// connection before the machine sees it.
func (c *conn) labFlooded(line []byte) {
	if c.tr == nil {
		return
	}
	text, red, in := describeLine(line)
	c.tr.In(text, c.inLen, red, in)
}

// describeLine is a client line as the transcript keeps it (secrets
// redacted) and what it means for the verdicts.
func describeLine(line []byte) (text string, red bool, in lab.Input) {
	text = redactLine(line)
	in = lab.Input{Kind: "line"}
	if msg, err := ParseLine(line); err == nil {
		in = lab.IRCLine(msg.Command, msg.Params)
	}
	return text, text != string(line), in
}

// labTooLong records a line the reader dropped; its text is not kept.
func (c *conn) labTooLong() {
	if c.tr != nil {
		c.tr.In("[line too long: dropped]", c.inLen, false, lab.Input{Kind: "line"})
	}
}

// outMark ends one Send in a batch of output.
type outMark struct {
	end    int
	redact bool
}

// labOut records output: runs of plain lines as one record each, a line
// that carries a SASL payload by itself and redacted.
func (c *conn) labOut(b []byte, marks []outMark) {
	if c.tr == nil {
		return
	}
	if len(marks) == 0 {
		c.tr.Out(b, false)
		return
	}
	start, prev := 0, 0
	for _, m := range marks {
		if m.redact {
			if prev > start {
				c.tr.Out(b[start:prev], false)
			}
			c.tr.Out(b[prev:m.end], true)
			start = m.end
		}
		prev = m.end
	}
	if len(b) > start {
		c.tr.Out(b[start:], false)
	}
}

// labAction records what the machine decided.
func (c *conn) labAction(a Action) {
	if a.Kind == Close {
		c.endReason = a.Reason
	}
	if c.tr == nil {
		return
	}
	switch a.Kind {
	case StartTLS:
		c.tr.TLSRequested()
	case Refused:
		if a.Offered {
			c.tr.TLSRefused(a.Reason)
		} else {
			c.tr.Event("STARTTLS refused: " + a.Reason)
		}
	case Welcomed:
		c.tr.Event("registered as " + a.Nick + " (user " + a.User + ")")
	case LoggedIn:
		c.tr.Auth(a.Mechanism, a.Account, true, "")
	case LoginFailed:
		c.tr.Auth(a.Mechanism, "", false, a.Reason)
	}
}

// upgrader returns the choice function for tlsext, nil when no profile can
// bend a handshake (the common case costs nothing).
func (c *conn) upgrader() tlsext.Choose {
	if c.srv.opt.LabTLS == nil {
		return nil
	}
	return c.chooseTLS
}

// chooseTLS picks the handshake's configuration: SNI may choose a profile
// (the first label names it, as in cert-expired.localhost), else the
// profile in force decides. It runs on the connection's goroutine, inside
// the handshake.
func (c *conn) chooseTLS(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if c.srv.opt.ClientChoice {
		if p, ok := lab.FromSNI(hello.ServerName); ok && p != c.profile {
			c.useProfile(p, lab.BySNI)
		}
	}
	return c.srv.opt.LabTLS.Config(c.profile, hello)
}

// maxCaught bounds what the handshake's reads keep for the transcript.
const maxCaught = 2048

// catcher keeps the first bytes the TLS handshake reads from the client,
// so that plaintext sent where the ClientHello belongs (a PONG to the
// injected PING) can be recorded and judged after the handshake failed.
type catcher struct {
	net.Conn
	buf []byte
	off bool
}

func (k *catcher) Read(p []byte) (int, error) {
	n, err := k.Conn.Read(p)
	if !k.off && n > 0 {
		k.buf = append(k.buf, p[:min(n, maxCaught-len(k.buf))]...)
		k.off = len(k.buf) >= maxCaught
	}
	return n, err
}

// stop ends the catching: the handshake is over. Safe on nil.
func (k *catcher) stop() {
	if k != nil {
		k.off = true
	}
}

func (k *catcher) bytes() []byte {
	if k == nil {
		return nil
	}
	return k.buf
}

// labHandshakeConn is the connection the handshake reads: the TCP one,
// with a catcher in front when there is a transcript to write.
func (c *conn) labHandshakeConn() (net.Conn, *catcher) {
	if c.tr == nil {
		return c.tcp, nil
	}
	k := &catcher{Conn: c.tcp}
	return k, k
}

// labTLS records an established handshake.
func (c *conn) labTLS(res *tlsext.Result, info *TLSInfo) {
	if c.tr == nil {
		return
	}
	cert := "none"
	if info.ClientCert != "" {
		cert = info.ClientCert
		if info.ClientVerified {
			cert += " (verified)"
		} else {
			cert += " (not verified)"
		}
	}
	c.tr.TLSEstablished(res.VersionName(), res.CipherName(), res.ServerName, cert)
}

// labTLSFailed records a failed handshake, and before it the IRC lines
// the client sent where its ClientHello belonged: they are judged like any
// plaintext line (a PONG to the injected PING accepted injected data, a
// PASS crossed in the clear).
func (c *conn) labTLSFailed(err error, early []byte, caught *catcher) {
	if c.tr == nil {
		return
	}
	data := append(slices.Clone(early), caught.bytes()...)
	if len(data) > 0 && data[0] != 0x16 { // 0x16: a TLS handshake record
		c.tr.Event("the client sent plaintext where the TLS handshake belonged")
		for {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				break
			}
			line := bytes.TrimSuffix(data[:i], []byte{'\r'})
			if !printable(line) {
				break
			}
			text, red, in := describeLine(line)
			c.tr.In(text, i+1, red, in)
			data = data[i+1:]
		}
	}
	c.tr.TLSFailed(err.Error())
}

// printable: text, not the binary of a TLS record.
func printable(line []byte) bool {
	for _, b := range line {
		if b < 0x20 && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}

// labEnd closes the transcript.
func (c *conn) labEnd() {
	if c.tr != nil {
		c.tr.End(c.endReason)
	}
}
