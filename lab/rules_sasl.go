package lab

import (
	"strings"

	"jabberd/lab/wire"
	"jabberd/sasl"
)

// The verdict rules of the SASL downgrade profiles (profiles_sasl.go).
// They keep no state of their own: what they need to know of the exchange
// so far — the last login attempt, its outcome and the server's reason,
// what the client sent since — is read from the transcript's records,
// where Transcript.Auth has just written the outcome (events are kept even
// in a truncated transcript; a client's element may not be, and then a
// moment that rests on it is not judged).

// saslMoment is the latest login attempt as the records show it.
type saslMoment struct {
	mechanism string
	state     string // "started" (an <auth/> with no outcome yet), "ok" or "failed"
	reason    string // the server's, for "failed"
	at        int    // index of its record
}

// Records a login leaves (Transcript.Auth).
const (
	authOKPrefix     = "authenticated as "
	authFailedPrefix = "authentication with "
)

// lastSASL finds the latest login attempt: an outcome event, or an <auth/>
// the client sent since.
func (t *Transcript) lastSASL() (saslMoment, bool) {
	w := walker{t: t}
	for i := t.numRecords() - 1; i >= 0; i-- {
		e := w.entry(i)
		if e.dir != dirEvent && e.dir != dirIn {
			continue // what the server sent: not read
		}
		data := string(w.data(e))
		switch {
		case e.dir == dirEvent && strings.HasPrefix(data, authOKPrefix):
			_, mech, _ := strings.Cut(data, " with ")
			return saslMoment{mechanism: mech, state: "ok", at: i}, true
		case e.dir == dirEvent && strings.HasPrefix(data, authFailedPrefix):
			rest := strings.TrimPrefix(data, authFailedPrefix)
			mech, reason, _ := strings.Cut(rest, " failed: ")
			return saslMoment{mechanism: mech, state: "failed", reason: reason, at: i}, true
		case e.dir == dirIn && tagLocal(data) == "auth":
			return saslMoment{mechanism: attrValue(data, "mechanism"), state: "started", at: i}, true
		}
	}
	return saslMoment{}, false
}

// inputTagsSince lists the local names of the elements the client sent
// after record at (a header is "stream", the close "/stream").
func (t *Transcript) inputTagsSince(at int) []string {
	var out []string
	w := walker{t: t}
	for i := at + 1; i < t.numRecords(); i++ {
		if e := w.entry(i); e.dir == dirIn {
			out = append(out, tagLocal(string(w.data(e))))
		}
	}
	return out
}

// tagLocal is the local name of the tag data starts with: "auth" for
// <sasl:auth …>, "stream" for a header.
func tagLocal(data string) string {
	data = strings.TrimLeft(data, " \t\r\n")
	if strings.HasPrefix(data, "<?xml") {
		if _, rest, ok := strings.Cut(data, "?>"); ok {
			data = strings.TrimLeft(rest, " \t\r\n")
		}
	}
	name, ok := strings.CutPrefix(data, "<")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(name, " \t\r\n/>"); i >= 0 && !strings.HasPrefix(name, "/") {
		name = name[:i]
	} else if i := strings.IndexAny(name, " \t\r\n>"); i >= 0 {
		name = name[:i]
	}
	if j := strings.LastIndexByte(name, ':'); j >= 0 {
		if strings.HasPrefix(name, "/") {
			return "/" + name[j+1:]
		}
		name = name[j+1:]
	}
	return name
}

// attrValue is the value of attribute name in the tag data starts with.
func attrValue(data, name string) string {
	end := strings.IndexByte(data, '>')
	if end < 0 {
		end = len(data)
	}
	tag := data[:end]
	for _, q := range []string{"'", `"`} {
		if _, v, ok := strings.Cut(tag, " "+name+"="+q); ok {
			v, _, _ = strings.Cut(v, q)
			return v
		}
	}
	return ""
}

func isPlus(mech string) bool       { return strings.HasSuffix(mech, "-PLUS") }
func isSCRAM(mech string) bool      { return strings.HasPrefix(mech, "SCRAM-") }
func unboundSCRAM(mech string) bool { return isSCRAM(mech) && !isPlus(mech) }
func checkedProof(reason string) bool {
	return strings.HasSuffix(reason, sasl.TextWrongCredentials) || strings.HasSuffix(reason, sasl.TextBindingMismatch)
}

// plusStrippedRules judge -PLUS removed from the features by a man in the
// middle (with, when protected is set, XEP-0474's hash of the real list in
// SCRAM's server-first message). A client that can bind says so — "y",
// which the server refuses as a downgrade (RFC 5802 §6) — or asks for
// -PLUS anyway: kept. Logging in without channel binding (SCRAM with "n",
// or PLAIN's password) is what the man in the middle needs: stripped. With
// the hash, a client that answers the server-first message with its proof
// ignored it (ignored), one that aborts or closes before detected it.
func plusStrippedRules(kept, stripped, detected, ignored string) Rules {
	protected := detected != ""
	return Rules{
		Input: func(t *Transcript, in Input) {
			switch {
			case in.Mechanism != "" && isPlus(in.Mechanism):
				t.pass(kept, "the client asked for "+in.Mechanism+" although -PLUS was stripped from the features: it insisted on channel binding")
			case protected && in.SASLAbort:
				if m, ok := t.lastSASL(); ok && m.state == "started" && unboundSCRAM(m.mechanism) && !t.hasCheck(ignored) {
					t.pass(detected, "the client aborted "+m.mechanism+" after the server-first message, whose XEP-0474 hash (h) covers the -PLUS mechanisms it was not shown")
				}
			}
		},
		Auth: func(t *Transcript, mechanism string, ok bool) {
			m, _ := t.lastSASL()
			switch {
			case mechanism == "PLAIN" && (ok || checkedProof(m.reason)):
				t.fail(stripped, "the client sent its password with PLAIN to a server whose -PLUS mechanisms were stripped: a man in the middle would have it")
			case !unboundSCRAM(mechanism):
			case !ok && strings.HasSuffix(m.reason, sasl.TextDowngrade):
				t.pass(kept, "the client started "+mechanism+" with the GS2 flag \"y\" (it can bind, and saw no -PLUS): the server refused it as a downgrade (RFC 5802 §6)")
			case protected && (ok || checkedProof(m.reason)):
				t.fail(ignored, "the client sent its proof for "+mechanism+" after a server-first message whose XEP-0474 hash (h) does not match the features it was shown")
			case ok:
				t.fail(stripped, "the client logged in with "+mechanism+" without channel binding (GS2 flag \"n\") after -PLUS was stripped from the features")
			}
		},
		End: func(t *Transcript, byClient bool) {
			if t.hasCheck(stripped) || (protected && (t.hasCheck(detected) || t.hasCheck(ignored))) {
				return
			}
			m, ok := t.lastSASL()
			switch {
			case !ok || m.state != "started" || !unboundSCRAM(m.mechanism):
			case byClient && !protected:
				// It gave up on its own: nothing was decided.
			case byClient:
				t.pass(detected, "the client closed after the server-first message of "+m.mechanism+", whose XEP-0474 hash (h) covers the -PLUS mechanisms it was not shown, without sending its proof")
			default:
				t.undecided("the server ended the connection (" + t.sum.CloseReason + ") during " + m.mechanism + ", before the client's login without channel binding was decided")
			}
		},
		Unexercised: func(t *Transcript) string {
			if m, ok := t.lastSASL(); ok && m.mechanism == "EXTERNAL" {
				return "the client logged in with EXTERNAL, which stripping -PLUS does not touch"
			}
			return "the client neither logged in with SCRAM or PLAIN nor signalled channel binding, so stripping -PLUS took nothing from it"
		},
	}
}

// serverFinalRules judge a SCRAM <success/> the client cannot verify (a
// server-final message whose signature is wrong, or none): RFC 5802 §5
// makes the client consider the exchange failed, so restarting the stream
// (RFC 6120) or going on as logged in (XEP-0034) accepts it; closing, or
// anything else that is not going on, rejects it.
func serverFinalRules(pass, fail, fault string) Rules {
	armed := func(t *Transcript) (saslMoment, bool) {
		m, ok := t.lastSASL()
		return m, ok && m.state == "ok" && isSCRAM(m.mechanism) && !t.hasCheck(pass) && !t.hasCheck(fail)
	}
	return Rules{
		Input: func(t *Transcript, in Input) {
			m, ok := armed(t)
			switch {
			case !ok:
			case in.Kind == "header" || in.Kind == "element":
				t.fail(fail, "the client went on after a "+m.mechanism+" <success/> with "+fault+": "+describe(in))
			case in.Kind == "refused":
				t.pass(pass, "the client did not restart the stream after a "+m.mechanism+" <success/> with "+fault+": what it sent where the new stream's header belonged was refused")
			default:
				t.pass(pass, "the client did not restart the stream after a "+m.mechanism+" <success/> with "+fault+" ("+describe(in)+")")
			}
		},
		End: func(t *Transcript, byClient bool) {
			m, ok := armed(t)
			switch {
			case !ok:
			case byClient:
				t.pass(pass, "the client closed after a "+m.mechanism+" <success/> with "+fault)
			default:
				t.undecided("the server ended the connection (" + t.sum.CloseReason + ") before the client answered the " + m.mechanism + " <success/>")
			}
		},
		Unexercised: func(t *Transcript) string {
			return "the client never completed a SCRAM login, so it never met a <success/> with " + fault
		},
	}
}

// wrongIdentityRules judge a resource bound for another identity than the
// certificate's after EXTERNAL: the bind result names it, and a client that
// compares it with the identity it authenticated as closes; one that sends
// anything else goes on as someone else.
func wrongIdentityRules(pass, fail string) Rules {
	// bound reports whether the client asked to bind (its first iq) after
	// a successful EXTERNAL login, before the input being judged (current:
	// the input's own record is the last one).
	bound := func(t *Transcript, current Input) bool {
		m, ok := t.lastSASL()
		if !ok || m.state != "ok" || m.mechanism != "EXTERNAL" || t.hasCheck(pass) || t.hasCheck(fail) {
			return false
		}
		iqs := 0
		for _, tag := range t.inputTagsSince(m.at) {
			if tag == "iq" {
				iqs++
			}
		}
		if current.Name == "iq" {
			iqs--
		}
		return iqs > 0
	}
	// jid is the identity bound, in the domain the client logged in to.
	jid := func(t *Transcript) string {
		_, domain, _ := strings.Cut(t.sum.Identity, "@")
		return wire.WrongIdentity + "@" + domain
	}
	return Rules{
		Input: func(t *Transcript, in Input) {
			switch {
			case in.Kind == "header" || !bound(t, in):
			case in.Kind == "close":
				t.pass(pass, "after EXTERNAL the bind result named "+jid(t)+", not the certificate's identity, and the client closed without sending anything as it")
			default:
				t.fail(fail, "after EXTERNAL the bind result named "+jid(t)+", not the certificate's identity, and the client went on: "+describe(in))
			}
		},
		End: func(t *Transcript, byClient bool) {
			switch {
			case !bound(t, Input{}):
			case byClient:
				t.pass(pass, "after EXTERNAL the bind result named "+jid(t)+", not the certificate's identity, and the client hung up without sending anything as it")
			default:
				t.undecided("the server ended the connection (" + t.sum.CloseReason + ") after the bind result, before the client's next move")
			}
		},
		Unexercised: func(t *Transcript) string {
			return "the client never bound a resource after logging in with EXTERNAL, so it never saw the identity bound"
		},
	}
}
