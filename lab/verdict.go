package lab

import (
	"slices"

	"jabberd/lab/wire"
)

// Input is what the connection tells the verdicts about one piece of client
// input; the protocol drivers classify it (negotiation.Classify,
// irc.Classify).
type Input = wire.Input

// Rules judge a connection under one profile. Each hook draws flags from
// one kind of moment (nil: nothing to judge then); the moments every
// profile shares — credentials in plaintext, injected data used, a fallback
// to plaintext — are judged for all (verdict.input). A profile carries its
// rules, built by the constructors below, so no code asks for a profile by
// name.
type Rules struct {
	Input func(t *Transcript, in Input)
	Auth  func(t *Transcript, mechanism string, ok bool)
	TLS   func(t *Transcript) // the handshake completed or failed
	End   func(t *Transcript)
}

// verdict is the state behind the flags, kept under Transcript.mu.
type verdict struct {
	tlsRequested, tlsRefused, tlsDone   bool
	externalFailed, afterFailureDecided bool
	continued                           bool // strip-starttls: the client said something after the features
}

// rules are the rules of the profile in force (none when standard).
func (t *Transcript) rules() Rules {
	if t.profile == nil {
		return Rules{}
	}
	return t.profile.Rules
}

// input draws the flags one piece of input decides.
func (v *verdict) input(t *Transcript, in Input) {
	plaintext := t.phase == PhasePlaintext
	if in.StartTLS {
		v.tlsRequested = true
	}
	if in.Credentials && plaintext {
		t.flag(FlagPlaintextCredentials)
	}
	if in.Injected {
		t.flag(FlagAcceptedInjectedData)
	}
	if r := t.rules(); r.Input != nil {
		r.Input(t, in)
	}
	if in.Kind == "header" || in.Kind == "close" {
		return
	}
	if plaintext && !in.StartTLS && !in.Capabilities && !v.tlsRequested && t.rec != nil && t.rec.refusedRecently(t.ip) && !v.tlsRefused {
		// This address was refused STARTTLS a moment ago and now goes on
		// without asking for it.
		t.flag(FlagFallbackToPlaintext)
	}
	if plaintext && v.tlsRefused && in.Kind == "line" && !in.StartTLS && !in.Capabilities {
		// IRC keeps the connection after 691: going on in plaintext on
		// it is the same fallback (XMPP closes the stream instead).
		t.flag(FlagFallbackToPlaintext)
	}
}

func (v *verdict) auth(t *Transcript, mechanism string, ok bool) {
	if r := t.rules(); r.Auth != nil {
		r.Auth(t, mechanism, ok)
	}
}

func (v *verdict) tls(t *Transcript) {
	if r := t.rules(); r.TLS != nil {
		r.TLS(t)
	}
}

func (v *verdict) end(t *Transcript) {
	if r := t.rules(); r.End != nil {
		r.End(t)
	}
}

// handshakeRules judge a profile that bends the handshake (a bad
// certificate, old TLS, a slow ServerHello): a completed handshake is the
// client accepting it.
func handshakeRules(pass, fail string) Rules {
	return Rules{TLS: func(t *Transcript) {
		if t.verdict.tlsDone {
			t.flag(fail)
		} else {
			t.flag(pass)
		}
	}}
}

// stripRules judge a stripped STARTTLS: anything but capability talk in
// plaintext after the features is going on without TLS; a connection that
// ends without it aborted.
func stripRules(pass, fail string) Rules {
	return Rules{
		Input: func(t *Transcript, in Input) {
			v := &t.verdict
			if in.Kind != "header" && in.Kind != "close" && t.phase == PhasePlaintext &&
				!in.StartTLS && !in.Capabilities && !v.continued {
				v.continued = true
				t.flag(fail)
			}
		},
		End: func(t *Transcript) {
			if !t.verdict.continued {
				t.flag(pass)
			}
		},
	}
}

// baitRules judge credentials offered in plaintext: a client that went to
// TLS without first falling for the bait passes (the failure is the shared
// plaintext-credentials flag): one flag or the other, never both.
func baitRules(pass string) Rules {
	return Rules{Input: func(t *Transcript, in Input) {
		if t.phase == PhasePlaintext && in.StartTLS && !hasFlag(t.sum.Flags, FlagPlaintextCredentials) {
			t.flag(pass)
		}
	}}
}

// injectRules judge injected plaintext: a client that completed TLS and
// never used the injection discarded it (using it is the shared
// accepted-injected-data flag).
func injectRules(pass string) Rules {
	return Rules{End: func(t *Transcript) {
		if t.verdict.tlsDone && !hasFlag(t.sum.Flags, FlagAcceptedInjectedData) {
			t.flag(pass)
		}
	}}
}

// authFailureRules judge a refused EXTERNAL: the client's next move after
// the failure decides — another mechanism or an abort passes, a stream
// restart (RFC 6120 restarts only after <success/>) or a stanza fails, and
// a connection that ends first passes.
func authFailureRules(pass, fail string) Rules {
	return Rules{
		Auth: func(t *Transcript, mechanism string, ok bool) {
			if !ok && mechanism == "EXTERNAL" {
				t.verdict.externalFailed, t.verdict.afterFailureDecided = true, false
			}
		},
		Input: func(t *Transcript, in Input) {
			v := &t.verdict
			if !v.externalFailed || v.afterFailureDecided || in.Kind == "close" {
				return
			}
			v.afterFailureDecided = true
			if in.Kind != "header" && (in.Mechanism != "" || in.SASLAbort) {
				t.flag(pass)
			} else {
				t.flag(fail)
			}
		},
		End: func(t *Transcript) {
			if t.verdict.externalFailed && !t.verdict.afterFailureDecided {
				t.flag(pass)
			}
		},
	}
}

func hasFlag(flags []string, f string) bool { return slices.Contains(flags, f) }
