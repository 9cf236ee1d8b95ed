package irc

import (
	"bytes"
	"encoding/base64"
	"slices"

	"jabberd/lab"
	"jabberd/transport"
)

// The lab side of an IRC connection: the transcript watches the core
// (lab.Watch), the choice of profile is lab.Choice (the listener's
// [irc] profile, a +profile tag in the user name of USER, the TLS SNI);
// this file only says what the client's lines were.

// labStart opens the connection's transcript, makes it the core's
// observer, and applies the listener's profile.
func (c *conn) labStart() {
	name, correlate := listenerPlain, ""
	if c.port != nil {
		name, correlate = c.port.name, c.port.correlateAs
	}
	tr := c.srv.opt.Lab.Open(lab.Origin{ID: c.core.ID(), Listener: name, Local: c.core.Local(),
		Remote: c.core.Remote(), IP: c.core.IP(), Dedicated: c.dedicated || c.profile != nil, CorrelateAs: correlate})
	if tr != nil {
		tr.SetDialect("irc")
		c.core.Observe(lab.Watch(tr, splitIRC))
	}
	opt := *c.srv.lab.Load()
	opt.Profile = c.profile
	c.choice = lab.NewChoice(opt, tr, c.m.SetEffect, c.core)
}

// labLine looks at a line before the machine does: a +profile tag in the
// user name of USER chooses the profile, and is taken off the name the
// machine sees.
func (c *conn) labLine(ev LineEvent) Event {
	msg := ev.Msg
	if msg != nil && msg.Command == "AUTHENTICATE" && len(msg.Params) == 1 && c.choice.ReadsUsernames() {
		// A SASL PLAIN login's authentication identity may carry a tag
		// (the account store reads alice+tag as alice).
		c.choice.Username(plainAuthcid(msg.Params[0]))
		return ev
	}
	if msg == nil || msg.Command != "USER" || len(msg.Params) == 0 || c.m.State() != Unregistered {
		return ev
	}
	rest, tagged := c.choice.Username(msg.Params[0])
	if !tagged {
		return ev
	}
	untagged := *msg
	untagged.Params = slices.Clone(msg.Params)
	untagged.Params[0] = rest
	return LineEvent{Line: []byte(format("", "USER", untagged.Params, false)), Msg: &untagged}
}

// observeLine tells the observer what a line was, once the machine has
// answered it (actions; nil for a line the flood limit stopped): whether
// the line completed registration decides what it means for the verdicts.
func (c *conn) observeLine(ev LineEvent, actions []Action) {
	if !c.core.Observing() {
		return
	}
	in, redacted := describeLine(ev)
	msg := ev.Msg
	welcomed := slices.ContainsFunc(actions, func(a Action) bool { return a.Kind == Welcomed })
	in.Unregistered = !welcomed && c.m.State() != Registered
	switch {
	case welcomed:
		// Registration completed (USER, NICK or CAP END): in plaintext,
		// the client goes on without TLS.
		in.Capabilities = false
	case msg != nil && c.m.State() == Unregistered && (msg.Command == "NICK" || msg.Command == "USER"):
		// Registration stays pending (CAP negotiation, or half of NICK
		// and USER): as harmless before STARTTLS as CAP, and what
		// pipelining clients send before they read CAP LS.
		in.Capabilities = true
	case msg != nil && c.m.State() == Unregistered && msg.Command == "JOIN" && msg.Param(0) == "":
		// A JOIN with no channel before registration is irssi's probe
		// for servers without CAP ("JOIN :", sent with CAP LS before it
		// reads the answer): it asks for nothing.
		in.Capabilities = true
	}
	c.core.Received(c.inLen, in, redacted)
}

// describeLine is what a line means for the verdicts, and its text with
// secrets redacted when it carries one (nil otherwise).
func describeLine(ev LineEvent) (lab.Input, []byte) {
	in := lab.Input{Kind: "line"}
	if ev.Msg != nil {
		in = Classify(ev.Msg)
	}
	if text := redactLine(ev.Line); text != string(ev.Line) {
		return in, []byte(text + "\r\n")
	}
	return in, nil
}

// noteAction tells the observer what the machine decided.
func (c *conn) noteAction(a Action) {
	switch a.Kind {
	case Refused:
		c.core.Note(transport.Note{Kind: transport.NoteTLSRefused, Text: a.Reason, Offered: a.Offered})
	case Welcomed:
		c.core.Note(transport.Note{Kind: transport.NoteEvent, Text: "registered as " + a.Nick + " (user " + a.User + ")"})
	case LoggedIn:
		c.core.Note(transport.Note{Kind: transport.NoteAuth, Mechanism: a.Mechanism, Identity: a.Account, OK: true})
	case LoginFailed:
		c.core.Note(transport.Note{Kind: transport.NoteAuth, Mechanism: a.Mechanism, Text: a.Reason})
	}
}

// splitIRC reads the lines a client sent where its ClientHello belonged (a
// PONG to the injected PING, a PASS in the clear), as far as they are text.
func splitIRC(data []byte) []lab.Piece {
	var out []lab.Piece
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return out
		}
		line := bytes.TrimSuffix(data[:i], []byte{'\r'})
		if !printable(line) {
			return out
		}
		in, redacted := describeLine(ParsedLine(line))
		text := data[:i+1]
		if redacted != nil {
			text = redacted
		}
		out = append(out, lab.Piece{Data: text, N: i + 1, Redacted: redacted != nil, What: in})
		data = data[i+1:]
	}
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

// plainAuthcid is the authentication identity of a SASL PLAIN message in
// an AUTHENTICATE payload ("" when the payload is not one). The password is
// read past, never returned.
func plainAuthcid(payload string) string {
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	parts := bytes.SplitN(raw, []byte{0}, 3)
	if len(parts) != 3 {
		return ""
	}
	return string(parts[1])
}
