package lab

import (
	"strings"

	"jabberd/lab/wire"
	"jabberd/starttls"
)

// Input is what the connection tells the verdicts about one piece of client
// input; the protocol drivers classify it (negotiation.Classify,
// irc.Classify).
type Input = wire.Input

// Rules judge a connection under one profile. Each hook judges one kind of
// moment (nil: nothing to judge then) by what the client did there, with
// t.pass, t.fail and t.undecided; the moments every profile shares —
// credentials in plaintext, injected data used, plaintext after a refusal
// or a failed handshake — are judged for all (verdict.input). A profile
// carries its rules, built by the constructors in rules.go, so no code asks
// for a profile by name.
type Rules struct {
	Input func(t *Transcript, in Input)
	Auth  func(t *Transcript, mechanism string, ok bool)
	// TLS: the handshake ended; failure is "" when it completed.
	TLS func(t *Transcript, failure handshakeEnd)
	// End: the connection ended; byClient says the client ended it (it
	// closed, hung up or sent an alert), not the server (a timeout, a
	// shutdown, an error of ours).
	End func(t *Transcript, byClient bool)
	// Unexercised says why nothing was judged when the connection ended
	// with no check drawn ("": a generic sentence).
	Unexercised func(t *Transcript) string
}

// verdict is the state behind the checks, kept under Transcript.mu.
type verdict struct {
	tlsRequested, tlsRefused, tlsDone bool
	tlsFailed                         handshakeEnd
	appData                           bool   // input over TLS
	late                              string // why input is late (after what), "" while it is not
	externalFailed, afterFailure      bool
	continued                         bool   // strip-starttls: the client said something after the features
	undecided                         string // an inconclusive reason, "" when none
	plainWent                         string // what the client first went on with in plaintext, unasked for TLS ("" while nothing)
}

// handshakeEnd is how a failed handshake failed, read from Go's error and
// from the client's records.
type handshakeEnd struct {
	failed    bool
	err       string
	alert     string // the client's alert by RFC 8446 name, "" when none was read
	plaintext bool   // the client sent plaintext where its ClientHello belonged
	// secondHello: the client sent a second ClientHello (it started over).
	secondHello bool
}

// byClient reports whether the client ended the handshake: an alert, a
// close, a reset, a version or cipher it would not share.
func (h handshakeEnd) byClient() bool {
	if h.alert != "" || h.secondHello {
		return true
	}
	for _, s := range []string{"EOF", "connection reset", "broken pipe", "unsupported versions", "no cipher suite", "no mutual"} {
		if strings.Contains(h.err, s) {
			return true
		}
	}
	return false
}

// timedOut reports whether the server's handshake deadline ended it.
func (h handshakeEnd) timedOut() bool {
	return strings.Contains(h.err, "timeout") || strings.Contains(h.err, "deadline")
}

// how says in words how the client ended the handshake.
func (h handshakeEnd) how() string {
	switch {
	case h.alert != "":
		return "alert " + h.alert
	case strings.Contains(h.err, "EOF"):
		return "closed the connection"
	case strings.Contains(h.err, "reset"):
		return "reset the connection"
	}
	return h.err
}

// rules are the rules of the profile in force (none when standard).
func (t *Transcript) rules() Rules {
	if t.profile == nil {
		return Rules{}
	}
	return t.profile.Rules
}

// input judges one piece of input.
func (v *verdict) input(t *Transcript, in Input) {
	plaintext := t.phase == PhasePlaintext
	if in.StartTLS {
		v.tlsRequested = true
	}
	if !plaintext && in.Kind != "close" {
		v.appData = true
	}
	if in.Credentials && plaintext {
		t.fail(FlagPlaintextCredentials, "the client sent credentials ("+describe(in)+") in plaintext")
	}
	if in.Injected {
		t.fail(FlagAcceptedInjectedData, "the client used "+InjectedMechanism+", which only the injected plaintext offered")
	}
	if r := t.rules(); r.Input != nil {
		r.Input(t, in)
	}
	if !plaintext || in.Kind == "close" || in.StartTLS {
		return
	}
	switch {
	case v.late != "":
		// After a refusal or a failed handshake the server ended the
		// stream; anything but a close is the client going on.
		t.fail(FlagFallbackToPlaintext, "after "+v.late+" the client went on in plaintext on the same connection: "+describe(in))
	case v.tlsRefused && in.Kind == "line" && !in.Capabilities:
		// IRC keeps the connection after 691: going on in plaintext on
		// it is the same fallback (XMPP closes the stream instead).
		t.fail(FlagFallbackToPlaintext, "after STARTTLS was refused the client went on in plaintext: "+describe(in))
	case !v.tlsRequested && in.Kind != "header" && !in.Capabilities && t.sum.Correlated == "":
		if v.plainWent == "" {
			v.plainWent = describe(in)
		}
		t.correlateFallback()
	}
}

// recheckFallback tries the correlation again, for a connection that went
// on in plaintext before the failure it may rest on was noted (even one
// that has ended: its verdict is drawn anew).
func (t *Transcript) recheckFallback() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.correlateFallback()
}

// correlateFallback: a connection that goes on in plaintext without asking
// for TLS is a fallback when the same client, on the same per-profile port
// or under the same label, was refused STARTTLS or failed a handshake a
// moment before. Without such a key there is no correlation: guessing by
// address alone charged one client with another's refusal.
//
// It is tried at each such input and once more at the end: the failure it
// rests on may be noted a moment after the client came back (the server
// reads the failed connection's alert on another goroutine).
func (t *Transcript) correlateFallback() {
	if t.rec == nil || t.key == "" || t.verdict.plainWent == "" || t.sum.Correlated != "" {
		return
	}
	prior, ok := t.rec.priorFailure(t.key, t.sum.Started)
	if !ok {
		return
	}
	t.sum.Correlated = prior.id
	t.fail(FlagFallbackToPlaintext, "correlated with "+prior.id+" (it began "+
		t.sum.Started.Sub(prior.started).Round(1e6).String()+" earlier and "+prior.what+"; same client on "+keyDesc(t.key)+"): this connection went on in plaintext: "+t.verdict.plainWent)
}

// describe names a piece of input for a reason sentence.
func describe(in Input) string {
	name := in.Name
	switch {
	case in.Mechanism != "":
		name = in.Name + " " + in.Mechanism
	case name == "":
		name = in.Kind
	}
	switch in.Kind {
	case "line":
		return name
	case "header":
		return "a new stream header"
	}
	return "<" + name + ">"
}

func (v *verdict) auth(t *Transcript, mechanism string, ok bool) {
	if r := t.rules(); r.Auth != nil {
		r.Auth(t, mechanism, ok)
	}
}

func (v *verdict) tls(t *Transcript) {
	if r := t.rules(); r.TLS != nil {
		r.TLS(t, v.tlsFailed)
	}
}

// end judges the connection's end, then says why nothing was judged if
// nothing was.
func (v *verdict) end(t *Transcript, reason string) {
	t.correlateFallback()
	if v.tlsDone && t.phase != PhasePlaintext && strings.Contains(reason, "received record with version 30") {
		// A TLS record in the clear inside TLS: the client started a
		// handshake over (a second ClientHello), its move after TLS.
		v.input(t, Input{Kind: "refused", Name: "a second ClientHello inside TLS"})
	}
	by := endedByClient(reason)
	if a, ok := starttls.RemoteAlert(reason); ok && t.sum.Alert == "" {
		t.sum.Alert = a
	}
	if r := t.rules(); r.End != nil {
		r.End(t, by)
	}
	if len(t.sum.Checks) > 0 || v.undecided != "" {
		return
	}
	switch r := t.rules(); {
	case t.profile == nil:
		t.sum.Reason = "no lab profile was in force: the standard behaviour is not judged"
	case r.Unexercised != nil:
		t.sum.Reason = r.Unexercised(t)
	default:
		t.sum.Reason = "the connection ended before the client met what " + t.profile.Name + " does"
	}
}

// endedByClient reads a close reason: the client closed, hung up, reset
// or alerted (these are the reasons the drivers and the core give).
func endedByClient(reason string) bool {
	if strings.HasPrefix(reason, "write failed") && (strings.Contains(reason, "broken pipe") || strings.Contains(reason, "reset by peer")) {
		return true // the client hung up before the server's write
	}
	for _, p := range []string{"client disconnected", "client closed the stream", "Connection closed", "Connection error", "Client Quit", "connection failed", "TLS handshake failed", "Quit", "QUIT"} {
		if strings.HasPrefix(reason, p) {
			return true
		}
	}
	return false
}
