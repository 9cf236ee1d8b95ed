package lab

// The verdict rules of the response-injection and negotiation profiles
// (profiles_injection.go, profiles_stripping.go) that rules.go has no
// constructor for. As everywhere, each judges by what the client did.

// legacyStream reports whether the stream the client opened last is a
// legacy (version-less) one: the RFC 6120-only profiles bend nothing there.
func legacyStream(t *Transcript) bool { return t.sum.Dialect == "legacy" }

// rfc6120Only is why an RFC 6120-only profile was not exercised.
func rfc6120Only(t *Transcript, what string) string {
	if legacyStream(t) {
		return "the client opened a legacy (version-less) stream: " + t.profile.Name + " " + what + " only on RFC 6120 streams"
	}
	return ""
}

// decided reports whether one of the flags was drawn already.
func decided(t *Transcript, flags ...string) bool {
	for _, f := range flags {
		if t.hasCheck(f) {
			return true
		}
	}
	return false
}

// loginAttempt: input that tries to log in (a SASL exchange, a XEP-0078
// or XEP-0077 password).
func loginAttempt(in Input) bool { return in.Mechanism != "" || in.SASLAbort || in.Credentials }

// forgeryHandshake judges the handshake after a go-ahead that carried a
// forgery: answering the forgery in plaintext where the ClientHello
// belongs is acting on it; a client that would not start TLS over it
// refused it.
func forgeryHandshake(actedOn, refused, forgery string, rfc6120 bool) func(t *Transcript, h handshakeEnd) {
	return func(t *Transcript, h handshakeEnd) {
		switch {
		case !h.failed || (rfc6120 && legacyStream(t)):
		case h.plaintext:
			t.fail(actedOn, "the client answered the "+forgery+" injected after the go-ahead: it sent plaintext where its ClientHello belonged instead of starting TLS")
		case h.secondHello:
			t.fail(actedOn, "the client started its handshake over (a second ClientHello where the first one's records belonged): it acted on the "+forgery+" injected after the go-ahead")
		case h.byClient():
			t.pass(refused, "the client did not start TLS over the injected "+forgery+" ("+h.how()+")")
		default:
			t.undecided("the handshake failed on the server's side (" + h.err + ")")
		}
	}
}

// forgedAnswerRules judge a forged answer injected after <proceed/> (a
// <success/>, a second <proceed/>) that a client acts on only after the
// handshake, if at all: over TLS, its first move after the new stream
// header decides. A login shows it kept nothing from before TLS; anything
// else before one — a bind or another stanza, a stream restart where none
// was due, input the server could not parse (such as a second
// ClientHello) — is acting on the forgery. Before TLS the handshake is
// judged as for any injection (forgeryHandshake).
func forgedAnswerRules(discarded, actedOn, refused, forgery, after string) Rules {
	return Rules{
		TLS: forgeryHandshake(actedOn, refused, forgery, true),
		Input: func(t *Transcript, in Input) {
			if !t.verdict.tlsDone || t.phase != PhaseTLS || in.Kind == "header" || in.Kind == "close" ||
				legacyStream(t) || decided(t, discarded, actedOn, refused) {
				return
			}
			if loginAttempt(in) {
				t.pass(discarded, "after TLS the client logged in ("+describe(in)+") before anything else: it did not take the "+forgery+" injected before TLS for the server's")
				return
			}
			what := describe(in)
			if in.Kind == "refused" {
				what = "input the server refused (a new stream where no restart was due, or what was not XML)"
			}
			t.fail(actedOn, "after TLS the client sent "+what+" before logging in: it acted on the "+forgery+" injected before TLS, "+after)
		},
		End: func(t *Transcript, byClient bool) {
			v := &t.verdict
			switch {
			case !v.tlsDone || legacyStream(t) || decided(t, discarded, actedOn, refused):
			case byClient:
				t.pass(discarded, "the client completed TLS and closed without acting on the "+forgery+" injected before it")
			default:
				t.undecided("the server ended the connection (" + t.sum.CloseReason + ") before the client's first move over TLS")
			}
		},
		Unexercised: func(t *Transcript) string {
			if why := rfc6120Only(t, "forges its answer"); why != "" {
				return why
			}
			return neverAskedTLS(t)
		},
	}
}

// injectedCloseRules judge a </stream:stream> injected right after
// <proceed/>: completing TLS discards it; closing instead of starting TLS
// stops (a client that comes back in plaintext is the shared fallback);
// answering it in plaintext where the ClientHello belongs acts on it.
func injectedCloseRules(discarded, stopped, actedOn string) Rules {
	return Rules{
		TLS: forgeryHandshake(actedOn, stopped, "</stream:stream>", true),
		End: func(t *Transcript, _ bool) {
			if t.verdict.tlsDone && !legacyStream(t) && !decided(t, actedOn) {
				t.pass(discarded, "the client completed TLS after <proceed/>: it did not take the injected </stream:stream> for the server's")
			}
		},
		Unexercised: func(t *Transcript) string {
			if why := rfc6120Only(t, "follows <proceed/> with a close"); why != "" {
				return why
			}
			return neverAskedTLS(t)
		},
	}
}

// lateOfferRules judge STARTTLS offered only in a second features element:
// a client that asks for it read past the first, one that closes without
// going on aborted; anything else in plaintext is going on without TLS.
func lateOfferRules(found, aborted, continued string) Rules {
	return Rules{
		Input: func(t *Transcript, in Input) {
			v := &t.verdict
			if t.phase != PhasePlaintext || in.Kind == "header" || in.Kind == "close" || legacyStream(t) || v.continued || t.hasCheck(found) {
				return
			}
			if in.StartTLS {
				t.pass(found, "the first features element offered no STARTTLS and the client asked for the one the second offered")
				return
			}
			v.continued = true
			t.fail(continued, "the first features element offered no STARTTLS and the client went on without it: "+describe(in)+" in plaintext")
		},
		End: func(t *Transcript, byClient bool) {
			switch {
			case t.sum.Dialect == "" || legacyStream(t) || t.verdict.continued || t.hasCheck(found):
			case byClient:
				t.pass(aborted, "the first features element offered no STARTTLS and the client closed without sending anything in plaintext")
			default:
				t.undecided("the server ended the connection (" + t.sum.CloseReason + ") before the client asked for STARTTLS, went on or closed")
			}
		},
		Unexercised: func(t *Transcript) string {
			if why := rfc6120Only(t, "splits the features"); why != "" {
				return why
			}
			return "the client never opened a stream"
		},
	}
}

// reofferRules judge STARTTLS offered again inside TLS: asking for it a
// second time fails; going on with anything else over TLS, or closing
// after the new stream's features, passes.
func reofferRules(ignored, askedTwice string) Rules {
	return Rules{
		Input: func(t *Transcript, in Input) {
			if !t.verdict.tlsDone || t.phase == PhasePlaintext || in.Kind == "header" || in.Kind == "close" || decided(t, ignored, askedTwice) {
				return
			}
			if in.StartTLS {
				t.fail(askedTwice, "STARTTLS was offered again inside TLS and the client asked for it a second time")
				return
			}
			t.pass(ignored, "STARTTLS was offered again inside TLS and the client went on with "+describe(in)+" instead of asking for it twice")
		},
		End: func(t *Transcript, byClient bool) {
			v := &t.verdict
			switch {
			case !v.tlsDone || !v.appData || decided(t, ignored, askedTwice):
				// A client that sent nothing over TLS never saw the offer.
			case byClient:
				t.pass(ignored, "STARTTLS was offered again inside TLS and the client closed without asking for it twice")
			default:
				t.undecided("the server ended the connection (" + t.sum.CloseReason + ") before the client's first move after the new offer")
			}
		},
		Unexercised: func(t *Transcript) string {
			if t.verdict.tlsDone {
				return "the client sent nothing over TLS, so it never saw STARTTLS offered again"
			}
			return neverAskedTLS(t)
		},
	}
}

// unrequiredRules judge STARTTLS offered without <required/> where TLS is
// required: asking for it passes; anything else in plaintext — a login,
// a stanza — is going on without TLS. A client that closes having done
// neither is not judged.
func unrequiredRules(upgraded, continued string) Rules {
	return Rules{
		Input: func(t *Transcript, in Input) {
			v := &t.verdict
			if t.phase != PhasePlaintext || in.Kind == "header" || in.Kind == "close" || legacyStream(t) || v.continued || t.hasCheck(upgraded) {
				return
			}
			if in.StartTLS {
				t.pass(upgraded, "STARTTLS was offered without <required/> and the client asked for it all the same")
				return
			}
			v.continued = true
			t.fail(continued, "STARTTLS was offered without <required/> and the client went on without it: "+describe(in)+" in plaintext")
		},
		End: func(t *Transcript, byClient bool) {
			switch {
			case t.sum.Dialect == "" || legacyStream(t) || t.verdict.continued || t.hasCheck(upgraded) || byClient:
			default:
				t.undecided("the server ended the connection (" + t.sum.CloseReason + ") before the client asked for STARTTLS or went on")
			}
		},
		Unexercised: func(t *Transcript) string {
			if why := rfc6120Only(t, "leaves <required/> out"); why != "" {
				return why
			}
			return "the client closed without asking for STARTTLS or sending anything in plaintext"
		},
	}
}

// unansweredRules judge a STARTTLS request that is never answered: a
// client that gives up (closes) passes; one that goes on in plaintext
// fell back. Asking again is neither. Input the server refused (a
// ClientHello sent without waiting for the answer) ends the stream on the
// server's side.
func unansweredRules(gaveUp, fellBack string) Rules {
	return Rules{
		Input: func(t *Transcript, in Input) {
			v := &t.verdict
			if !v.tlsRequested || t.phase != PhasePlaintext || in.StartTLS || v.continued || t.hasCheck(gaveUp) {
				return
			}
			switch in.Kind {
			case "header", "close", "refused":
				return
			}
			v.continued = true
			t.fail(fellBack, "STARTTLS went unanswered and the client went on in plaintext: "+describe(in))
		},
		End: func(t *Transcript, byClient bool) {
			v := &t.verdict
			switch {
			case !v.tlsRequested || v.continued || t.hasCheck(gaveUp):
			case byClient:
				t.pass(gaveUp, "STARTTLS went unanswered and the client gave up without going on in plaintext")
			default:
				t.undecided("STARTTLS went unanswered and the server ended the connection (" + t.sum.CloseReason + ") before the client gave up or went on")
			}
		},
		Unexercised: func(t *Transcript) string {
			return "the client never asked for STARTTLS, so it never waited for an answer"
		},
	}
}
