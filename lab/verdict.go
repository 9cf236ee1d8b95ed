package lab

import "slices"

// Input is what the connection tells the verdicts about one piece of client
// input; the protocol adapters (XMPPElement, IRCLine) fill it.
type Input struct {
	// Kind is "header", "element", "close", "line" or "refused" (input
	// refused with a stream error).
	Kind string
	// Credentials: the input carried a password or a SASL initial response
	// that holds one (PLAIN, XEP-0078, XEP-0077, IRC PASS or AUTHENTICATE).
	Credentials bool
	// Mechanism is the SASL mechanism an auth request names.
	Mechanism string
	// SASLAbort: the client aborted a SASL exchange.
	SASLAbort bool
	// StartTLS: the input asks for TLS.
	StartTLS bool
	// Capabilities: an IRC CAP command, or a NICK or USER that leaves
	// registration pending (harmless before STARTTLS).
	Capabilities bool
	// Injected: the input uses or answers something only the
	// inject-after-proceed plaintext contained (the mechanism
	// InjectedMechanism, a PONG to the injected PING).
	Injected bool
}

// verdict is the state behind the flags, kept under Transcript.mu.
type verdict struct {
	tlsRequested, tlsRefused, tlsDone   bool
	externalFailed, afterFailureDecided bool
	continued                           bool // strip-starttls: the client said something after the features
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
	if in.Kind == "header" || in.Kind == "close" {
		if v.externalFailed && !v.afterFailureDecided && in.Kind == "header" {
			// A new stream after a failure is a client that thinks it
			// logged in (RFC 6120 restarts only after <success/>).
			v.afterFailureDecided = true
			t.flag("ignored-auth-failure")
		}
		return
	}
	switch t.sum.Profile {
	case "strip-starttls":
		if plaintext && !in.StartTLS && !in.Capabilities && !v.continued {
			v.continued = true
			t.flag("continued-without-tls")
		}
	case "sasl-before-tls":
		// Pass only for a client that went to TLS without first falling
		// for the bait: one flag or the other, never both.
		if plaintext && in.StartTLS && !hasFlag(t.sum.Flags, FlagPlaintextCredentials) {
			t.flag("ignored-plaintext-sasl")
		}
	case "external-then-fail":
		if v.externalFailed && !v.afterFailureDecided {
			v.afterFailureDecided = true
			if in.Mechanism != "" || in.SASLAbort {
				t.flag("stopped-after-auth-failure")
			} else {
				t.flag("ignored-auth-failure")
			}
		}
	}
	if plaintext && !in.StartTLS && !in.Capabilities && !v.tlsRequested && t.book != nil && t.book.refusedRecently(t.ip) && !v.tlsRefused {
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

// auth draws the flags of an authentication outcome.
func (v *verdict) auth(t *Transcript, mechanism string, ok bool) {
	if !ok && mechanism == "EXTERNAL" && t.sum.Profile == "external-then-fail" {
		v.externalFailed = true
		v.afterFailureDecided = false
	}
}

// tls draws the flags of a handshake's outcome.
func (v *verdict) tls(t *Transcript) {
	p := t.profile
	if p == nil {
		return
	}
	e := p.Effect
	if e.CertFault != "" || e.WeakTLS || e.SlowHandshake {
		if v.tlsDone {
			t.flag(p.Fail)
		} else {
			t.flag(p.Pass)
		}
	}
}

// end draws the flags that depend on how the connection ended.
func (v *verdict) end(t *Transcript) {
	switch t.sum.Profile {
	case "strip-starttls":
		if !v.continued {
			t.flag("aborted-on-strip")
		}
	case "inject-after-proceed":
		if v.tlsDone && !hasFlag(t.sum.Flags, FlagAcceptedInjectedData) {
			t.flag("discarded-injected-data")
		}
	case "external-then-fail":
		if v.externalFailed && !v.afterFailureDecided {
			t.flag("stopped-after-auth-failure")
		}
	}
}

func hasFlag(flags []string, f string) bool { return slices.Contains(flags, f) }
