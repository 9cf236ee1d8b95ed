package lab

// The verdict rules a profile can carry. Each judges by what the client did
// (sent, closed, alerted), never by the server's side alone.

// neverAskedTLS is why a profile that acts on the TLS upgrade was not
// exercised, when the client never asked for it.
func neverAskedTLS(t *Transcript) string {
	if !t.verdict.tlsRequested {
		return "the client never asked for TLS, so it never met what " + t.profile.Name + " does"
	}
	return "the connection ended before the client met what " + t.profile.Name + " does"
}

// handshakeRules judge a profile that bends the handshake (a bad
// certificate, old TLS): refusing the handshake passes; completing it is
// not yet accepting it (some clients check the certificate after the
// handshake, then hang up), so application data over TLS fails, and a
// client that closed or alerted without sending any passes.
func handshakeRules(pass, fail, fault string) Rules {
	return Rules{
		TLS: func(t *Transcript, h handshakeEnd) {
			switch {
			case !h.failed:
				// Judged by what comes next.
			case h.plaintext:
				t.undecided("the client sent plaintext where its ClientHello belonged: it never saw " + fault)
			case h.byClient():
				t.pass(pass, "the client refused the handshake ("+h.how()+"): it did not accept "+fault)
			case h.timedOut():
				t.undecided("the client neither completed nor refused the handshake before the server's handshake timeout")
			default:
				t.undecided("the handshake failed on the server's side (" + h.err + "), before the client decided")
			}
		},
		Input: func(t *Transcript, in Input) {
			if t.verdict.tlsDone && t.phase != PhasePlaintext && in.Kind != "close" && !t.hasCheck(fail) {
				t.fail(fail, "the client completed the handshake and sent "+describe(in)+" over it: it accepted "+fault)
			}
		},
		End: func(t *Transcript, byClient bool) {
			v := &t.verdict
			if !v.tlsDone || v.appData {
				return
			}
			how := "closed"
			if t.sum.Alert != "" {
				how = "sent alert " + t.sum.Alert
			}
			if byClient {
				t.pass(pass, "the client completed the handshake, then "+how+" without sending any data over TLS: it did not accept "+fault)
			} else {
				t.undecided("the handshake completed and the client sent nothing over TLS, but the server ended the connection first (" + t.sum.CloseReason + ")")
			}
		},
		Unexercised: neverAskedTLS,
	}
}

// slowRules judge the slow handshake: waiting and giving up are both what
// the profile calls correct (it measures the client's timeout); only a
// handshake that neither side finished is inconclusive.
func slowRules(gaveUp, waited string) Rules {
	return Rules{
		TLS: func(t *Transcript, h handshakeEnd) {
			switch {
			case !h.failed:
				t.pass(waited, "the client waited for the delayed ServerHello and completed the handshake")
			case h.byClient():
				t.pass(gaveUp, "the client gave up on the handshake after its own timeout ("+h.how()+")")
			default:
				t.undecided("the handshake ended on the server's side (" + h.err + ") before the client gave up or completed it")
			}
		},
		Unexercised: neverAskedTLS,
	}
}

// stripRules judge a stripped STARTTLS: anything but capability talk in
// plaintext after the features is going on without TLS; a client that
// closes without it aborted.
func stripRules(pass, fail string) Rules {
	return Rules{
		Input: func(t *Transcript, in Input) {
			v := &t.verdict
			if in.Kind != "header" && in.Kind != "close" && t.phase == PhasePlaintext &&
				!in.StartTLS && !in.Capabilities && !v.continued {
				v.continued = true
				t.fail(fail, "STARTTLS was not offered and the client went on without it: "+describe(in)+" in plaintext")
			}
		},
		End: func(t *Transcript, byClient bool) {
			switch {
			case t.verdict.continued:
			case t.verdict.tlsRequested:
				// It insisted on TLS although none was offered (the
				// server refused and closed): it did not go on without.
				t.pass(pass, "STARTTLS was not offered; the client asked for it anyway and sent nothing else in plaintext")
			case byClient:
				t.pass(pass, "STARTTLS was not offered and the client closed without sending anything in plaintext")
			default:
				t.undecided("the server ended the connection (" + t.sum.CloseReason + ") before the client went on or closed")
			}
		},
	}
}

// refusalRules judge a refused STARTTLS: going on in plaintext, on this
// connection or (correlated) on the next, fails (the shared
// fallback-to-plaintext check); a client that stops after the refusal
// passes.
func refusalRules(pass string) Rules {
	return Rules{
		End: func(t *Transcript, byClient bool) {
			v := &t.verdict
			switch {
			case !v.tlsRefused || t.hasCheck(FlagFallbackToPlaintext):
			case byClient || v.late != "":
				t.pass(pass, "STARTTLS was refused and the client did not go on in plaintext on this connection")
			default:
				t.undecided("STARTTLS was refused, then the server ended the connection (" + t.sum.CloseReason + ") before the client's next move")
			}
		},
		Unexercised: func(t *Transcript) string {
			if t.hasCheck(FlagFallbackToPlaintext) {
				return ""
			}
			return "the client never asked for STARTTLS, so it was never refused"
		},
	}
}

// baitRules judge credentials offered in plaintext: a client that asks for
// TLS without first falling for the bait passes (the failure is the shared
// plaintext-credentials check): one or the other, never both.
func baitRules(pass string) Rules {
	return Rules{
		Input: func(t *Transcript, in Input) {
			if t.phase == PhasePlaintext && in.StartTLS && !t.hasCheck(FlagPlaintextCredentials) {
				t.pass(pass, "the client asked for STARTTLS without taking the password mechanism offered in plaintext")
			}
		},
		Unexercised: func(t *Transcript) string {
			return "the client neither asked for TLS nor sent credentials"
		},
	}
}

// injectRules judge plaintext injected after the server's go-ahead: a
// client that completes TLS and never uses the injection discarded it; one
// that answers it where its ClientHello belongs read it as the server's; one
// that closes instead of starting TLS refused it.
func injectRules(discarded, actedOn, refused string) Rules {
	return Rules{
		TLS: func(t *Transcript, h handshakeEnd) {
			switch {
			case !h.failed:
			case h.plaintext:
				t.fail(actedOn, "the client answered the injected plaintext (sent plaintext where its ClientHello belonged) instead of starting TLS")
			case h.byClient():
				t.pass(refused, "the client did not start TLS over the injected data ("+h.how()+")")
			default:
				t.undecided("the handshake failed on the server's side (" + h.err + ")")
			}
		},
		End: func(t *Transcript, _ bool) {
			if t.verdict.tlsDone && !t.hasCheck(FlagAcceptedInjectedData) {
				t.pass(discarded, "the client completed TLS and never used "+InjectedMechanism+" from the injected plaintext")
			}
		},
		Unexercised: neverAskedTLS,
	}
}

// authFailureRules judge a refused EXTERNAL: the client's next move after
// the failure decides — another mechanism or an abort passes, a stream
// restart (RFC 6120 restarts only after <success/>) or a stanza fails, and
// a client that closes passes.
func authFailureRules(pass, fail string) Rules {
	return Rules{
		Auth: func(t *Transcript, mechanism string, ok bool) {
			if !ok && mechanism == "EXTERNAL" {
				t.verdict.externalFailed, t.verdict.afterFailure = true, false
			}
		},
		Input: func(t *Transcript, in Input) {
			v := &t.verdict
			if !v.externalFailed || v.afterFailure || in.Kind == "close" {
				return
			}
			v.afterFailure = true
			if in.Kind != "header" && (in.Mechanism != "" || in.SASLAbort) {
				t.pass(pass, "after EXTERNAL failed the client tried "+describe(in))
			} else {
				t.fail(fail, "after EXTERNAL failed the client went on as if logged in: "+describe(in))
			}
		},
		End: func(t *Transcript, byClient bool) {
			v := &t.verdict
			switch {
			case !v.externalFailed || v.afterFailure:
			case byClient:
				t.pass(pass, "after EXTERNAL failed the client closed")
			default:
				t.undecided("after EXTERNAL failed the server ended the connection (" + t.sum.CloseReason + ") before the client's next move")
			}
		},
		Unexercised: func(t *Transcript) string {
			return "the client never tried SASL EXTERNAL"
		},
	}
}
