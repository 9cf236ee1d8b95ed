package interop

// The report card's oracle: what a real client's OWN output shows it did
// under a lab profile, and the verdict that behaviour earns by the
// profile's PassIf/FailIf. It reads the client's exit status and what it
// printed, and the profile's definition (lab.Profile.Effect); never
// jabberd's verdict, reason, flags or transcript.
//
// Two steps. A parser per client (observeOpenSSL, observeGnuTLS,
// observeSendxmpp, observeSendxmppPerl, observeSlixmpp, observeIRCScript,
// observeIrssi) turns its output into a seen: the same facts for every
// client (did it reach TLS, refuse the handshake, send data over TLS, go on
// in plaintext, log in without channel binding, ...), each with the line
// of output that shows it. Then expect maps a seen to a verdict, per
// profile family (family: profiles whose observable behaviour is the same
// share one). A client that cannot exercise a profile (openssl and
// gnutls-cli never log in) still gets its expectation from its output: the
// output shows it never got to what the profile bends, so not-exercised.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"jabberd/lab"
	"jabberd/lab/wire"
)

// clientOutput is everything the oracle may read about one run.
type clientOutput struct {
	exit     int    // -1: it did not exit by itself
	timedOut bool   // the run's timeout stopped it
	startErr string // it could not be started
	text     string // stdout and stderr, interleaved
}

// seen is what a client's output shows it did. Strings are "" when the
// output does not show the thing, and otherwise quote or describe the
// output that does.
type seen struct {
	connected bool
	hung      bool // it did not end by itself: the run's timeout stopped it

	// Before TLS.
	askedTLS  string // it asked for STARTTLS
	goAhead   string // it read the go-ahead for TLS (<proceed/>, 670)
	stopped   string // STARTTLS was not offered or was refused, and it stopped there
	plaintext string // it went on in plaintext where it should not have
	creds     string // it sent a credential in plaintext
	injected  string // it used or answered the plaintext injected after the go-ahead

	// The handshake.
	refused   string // it refused the handshake (its own words)
	completed bool   // it completed the handshake
	appData   string // it exchanged application data over TLS (more than a close)
	facts     tlsFacts

	// Over TLS.
	askedAgain string // it asked for STARTTLS a second time, over TLS
	// firstMove is its first move over TLS after its new stream header.
	firstMove move
	// beforeWelcome: over TLS, before the server's own 001, it sent what
	// only a registered IRC client sends (JOIN, PRIVMSG, MODE, …).
	beforeWelcome string
	auth          authSeen
}

// move is one step of a client, as its output shows it: kind is "login"
// (a SASL <auth/>, XEP-0078), "restart" (a new stream header), "close"
// (</stream:stream>, QUIT, hanging up), "other"; "" when the output shows
// none.
type move struct{ kind, what string }

// authSeen is what the output shows of SASL over TLS.
type authSeen struct {
	failed string // "" when no attempt failed; else which one (or "a mechanism")
	next   string // after the failure: "another mechanism …", "abort", "closed", "went on: …"
	// succeeded is the mechanism that logged it in, "" when none did (or
	// the output does not say).
	succeeded string

	// offered are the mechanisms of the first features over TLS that
	// listed any; nil when the output does not show them.
	offered []string
	// plain: it sent its password with PLAIN over TLS.
	plain string
	// unbound: it logged in with SCRAM without channel binding (GS2 "n").
	unbound string
	// proof: it answered the server-first message of a SCRAM without
	// channel binding with its proof.
	proof string
	// kept: it insisted on channel binding (a -PLUS mechanism that was
	// not offered, or SCRAM's GS2 flag "y").
	kept string
	// abandoned: it aborted (or closed) a SCRAM without channel binding
	// after the server-first message, without sending its proof.
	abandoned string
	// scramOK: a SCRAM login of its ended in <success/>; afterSCRAM is
	// its next move.
	scramOK    string
	afterSCRAM move
	// externalOK: EXTERNAL logged it in; bound is the JID the bind result
	// named then, and afterBind its next move.
	externalOK bool
	bound      string
	afterBind  move
}

// tlsFacts is what a client printed about the handshake it completed.
type tlsFacts struct {
	version   string    // "1.0", "1.2", "1.3"; "" when not printed
	notAfter  time.Time // the server certificate's, zero when not printed
	verified  bool      // the chain verified against the lab CA (dates included)
	nameOK    bool      // the host name was checked against the certificate and matched
	names     []string  // DNS names of the server certificate, when printed
	keyType   string    // "RSA", "EC" or ""
	keyBits   int       // 0 when not printed
	handshake time.Duration
	timed     bool // handshake is known
}

// The profile families, read from the profile's definition (its Effect):
// profiles whose observable behaviour is the same share one. A new
// profile that bends the handshake (Effect.BendsHandshake) is in the
// "handshake" family like the certificate and TLS-version ones: its
// verdict rests on whether the client refused the handshake or sent data
// over it, and faultAbsent reads the fault only where the client prints
// it.
func family(p *lab.Profile) string {
	e := p.Effect
	switch {
	case e.STSBadPort:
		return "sts-bad-port"
	case e.STSStripped:
		return "sts-stripped"
	case e.StripStartTLS:
		return "strip"
	case e.FailStartTLS:
		return "refuse"
	case e.IgnoreStartTLS:
		return "unanswered"
	case e.StartTLSLate:
		return "late-offer"
	case e.HideRequired:
		return "unrequired"
	case e.StartTLSAgain:
		return "reoffer"
	case e.InjectNumerics:
		return "forged-numerics"
	case e.Inject || e.Forge == wire.ForgeStream:
		return "inject"
	case e.Forge == wire.ForgeSuccess || e.Forge == wire.ForgeProceed:
		return "forged-answer"
	case e.Forge == wire.ForgeClose:
		return "injected-close"
	case e.SlowHandshake:
		return "slow"
	case e.BendsHandshake():
		return "handshake"
	case e.ExternalThenFail:
		return "external"
	case e.StripPlus:
		return "plus-stripped"
	case e.BadServerSignature || e.NoServerFinal:
		return "server-final"
	case e.ExternalWrongIdentity:
		return "wrong-identity"
	case e.PlaintextBait:
		return "bait"
	}
	return "unknown"
}

// expect is the verdict the client's behaviour earns under p, with the
// reason, in the words of the profile's PassIf and FailIf.
// now is when the output was made (a certificate's dates are read
// against it).
func expect(p *lab.Profile, s seen, domain string, slow time.Duration, now time.Time) (verdict, why string) {
	verdict, why = expectOwn(p, s, domain, slow, now)
	if verdict == lab.Pass && s.hung {
		// A pass is earned by a client that ended by itself: one the run
		// had to stop might still have done what fails.
		return lab.Inconclusive, "it did not end by itself, the run's timeout stopped it (" + why + ")"
	}
	return verdict, why
}

func expectOwn(p *lab.Profile, s seen, domain string, slow time.Duration, now time.Time) (string, string) {
	// The failures every profile shares (lab.sharedFails): credentials in
	// plaintext, injected data used, going on in plaintext.
	switch {
	case !s.connected && s.hung:
		return lab.Inconclusive, "it printed nothing that shows what it did before the run's timeout stopped it"
	case !s.connected:
		return lab.NotExercised, "the client's output shows no connection"
	case s.creds != "":
		return lab.Fail, "it sent credentials in plaintext: " + s.creds
	case s.injected != "":
		return lab.Fail, "it acted on the plaintext injected after the go-ahead: " + s.injected
	case s.plaintext != "":
		return lab.Fail, "it went on in plaintext: " + s.plaintext
	}
	reachedTLS := s.completed || s.refused != ""
	switch fam := family(p); fam {
	case "strip", "refuse":
		// PassIf: it stops (closes) without sending anything more in
		// plaintext (strip: asking for STARTTLS anyway is not going on);
		// FailIf: it goes on in plaintext (checked above).
		switch {
		case reachedTLS:
			return lab.Inconclusive, "it reached a TLS handshake although STARTTLS was " + map[string]string{"strip": "not offered", "refuse": "refused"}[fam]
		case fam == "strip" && s.askedTLS != "":
			return lab.Pass, "STARTTLS was not offered; it asked for it anyway (" + s.askedTLS + ") and sent nothing else in plaintext"
		case s.stopped != "":
			return lab.Pass, "it stopped without TLS and sent nothing more in plaintext: " + s.stopped
		}
		return lab.Pass, "it sent nothing in plaintext beyond its stream header and STARTTLS"
	case "sts-stripped":
		// PassIf: a ClientHello to the plaintext port, STARTTLS anyway,
		// or a close without going on in plaintext (checked above).
		switch {
		case s.askedTLS != "":
			return lab.Pass, "neither sts nor tls was offered and it asked for STARTTLS anyway (" + s.askedTLS + ")"
		case s.stopped != "":
			return lab.Pass, "neither sts nor tls was offered and it stopped without going on in plaintext: " + s.stopped
		}
		return lab.Pass, "neither sts nor tls was offered and it closed without going on in plaintext"
	case "bait":
		// PassIf: STARTTLS before any credential; FailIf: a credential in
		// plaintext (checked above).
		if reachedTLS || s.askedTLS != "" {
			return lab.Pass, "it asked for STARTTLS (it reached the handshake) and sent no credential before"
		}
		if s.hung {
			return lab.Inconclusive, "it neither asked for STARTTLS nor sent a credential before the run stopped it"
		}
		return lab.NotExercised, "it neither asked for STARTTLS nor sent a credential"
	case "late-offer":
		// PassIf: it asks for the STARTTLS the second features element
		// offers, or closes without sending anything in plaintext.
		switch {
		case reachedTLS || s.askedTLS != "":
			return lab.Pass, "the first features element offered no STARTTLS and it asked for the later one" + appended(s.askedTLS)
		case s.stopped != "":
			return lab.Pass, "it stopped without TLS and sent nothing in plaintext: " + s.stopped
		}
		return lab.Pass, "it closed without sending anything in plaintext after the features"
	case "unrequired":
		// PassIf: it asks for STARTTLS all the same; going on is checked
		// above; a client that did neither is not judged.
		switch {
		case reachedTLS || s.askedTLS != "":
			return lab.Pass, "STARTTLS came without <required/> and it asked for it all the same" + appended(s.askedTLS)
		case s.hung:
			return lab.Inconclusive, "it neither asked for STARTTLS nor closed before the run stopped it"
		}
		return lab.NotExercised, "it closed without asking for STARTTLS or sending anything in plaintext"
	case "unanswered":
		// PassIf: after its unanswered request it closes; FailIf: it goes
		// on in plaintext (checked above).
		switch {
		case s.hung:
			return lab.Inconclusive, "its request for STARTTLS went unanswered and it waited until the run stopped it" + appended(s.askedTLS)
		case s.askedTLS == "":
			return lab.NotExercised, "its output does not show that it asked for STARTTLS"
		}
		return lab.Pass, "its request for STARTTLS went unanswered and it gave up without going on in plaintext: " + s.askedTLS
	case "reoffer":
		// PassIf: after TLS it goes on with anything but STARTTLS, or
		// closes after the new features; FailIf: it asks again.
		switch {
		case !s.completed:
			return lab.NotExercised, "it never completed TLS, after which STARTTLS is offered again"
		case s.askedAgain != "":
			return lab.Fail, "STARTTLS was offered again inside TLS and it asked for it a second time: " + s.askedAgain
		case s.appData == "":
			return lab.NotExercised, "it sent nothing over TLS, so it never saw STARTTLS offered again"
		}
		return lab.Pass, "STARTTLS was offered again inside TLS and it did not ask for it twice: " + s.appData
	case "inject":
		// PassIf: it starts TLS and never uses the injection, or refuses to
		// start TLS over it; FailIf: it uses or answers it (checked above).
		switch {
		case s.completed:
			return lab.Pass, "it completed TLS and did not act on the injected plaintext" + appended(s.appData)
		case s.refused != "":
			return lab.Pass, "it did not start TLS over the injected data: " + s.refused
		case s.hung:
			return lab.Inconclusive, "it never reached TLS before the run stopped it"
		case s.goAhead != "":
			return lab.Pass, "it read the go-ahead (" + s.goAhead + ") and closed instead of starting TLS over the injected data"
		}
		return lab.NotExercised, "it never reached the TLS handshake"
	case "forged-numerics":
		// PassIf: it completes TLS and registers over it before any
		// channel or message command, or closes instead of starting TLS
		// over the injected data. FailIf: over TLS, before the server's
		// 001, what only a registered client sends; or an answer in
		// plaintext (checked above).
		switch {
		case s.completed && s.beforeWelcome != "":
			return lab.Fail, "over TLS, before the server's own 001, it sent what only a registered client sends: it took the forged numerics for the server's: " + s.beforeWelcome
		case s.completed:
			return lab.Pass, "it completed TLS and did not act on the forged numerics before the server's own 001" + appended(s.appData)
		case s.refused != "":
			return lab.Pass, "it did not start TLS over the injected data: " + s.refused
		case s.hung:
			return lab.Inconclusive, "it never reached TLS before the run stopped it"
		case s.goAhead != "":
			return lab.Pass, "it read the go-ahead (" + s.goAhead + ") and closed instead of starting TLS over the injected data"
		}
		return lab.NotExercised, "it never reached the TLS handshake"
	case "forged-answer":
		// PassIf: after TLS and its new stream header its first move is a
		// login, or a close; or it does not start TLS over the forgery.
		// FailIf: anything else first (a restart, a bind, a stanza, a
		// second ClientHello), or an answer in plaintext (checked above).
		m := s.firstMove
		switch {
		case s.refused != "" && !s.completed:
			return lab.Pass, "it did not start TLS over the forged answer: " + s.refused
		case !s.completed && s.hung:
			return lab.Inconclusive, "it never reached TLS before the run stopped it"
		case !s.completed && s.goAhead != "":
			return lab.Pass, "it read the go-ahead (" + s.goAhead + ") and closed instead of starting TLS over the forged answer that came with it"
		case !s.completed:
			return lab.NotExercised, "it never completed TLS"
		case m.kind == "login":
			return lab.Pass, "after TLS its first move was a login, not what the forged answer asked for: " + m.what
		case m.kind == "close":
			return lab.Pass, "after TLS it closed without acting on the forged answer: " + m.what
		case m.kind != "":
			return lab.Fail, "after TLS its first move was not a login: it acted on the forged answer injected before TLS: " + m.what
		}
		return lab.Pass, "it completed TLS and made no move over it that acts on the forged answer"
	case "injected-close":
		// PassIf: it completes TLS, or hangs up without starting it and
		// does not come back in plaintext (checked above).
		switch {
		case s.completed:
			return lab.Pass, "it completed TLS after <proceed/>: it did not take the injected </stream:stream> for the server's"
		case s.refused != "":
			return lab.Pass, "it did not start TLS after the injected close, and did not go on in plaintext: " + s.refused
		case s.stopped != "":
			return lab.Pass, "it hung up without starting TLS and did not go on in plaintext: " + s.stopped
		case s.hung:
			return lab.Inconclusive, "it never reached TLS before the run stopped it"
		case s.goAhead != "":
			return lab.Pass, "it read the go-ahead (" + s.goAhead + ") and hung up without starting TLS, and did not go on in plaintext"
		}
		return lab.NotExercised, "it never reached the TLS handshake"
	case "handshake", "sts-bad-port":
		// PassIf: it refuses the handshake, or completes it and closes
		// without data; FailIf: application data over TLS. sts-bad-port:
		// closing the plaintext connection without going on (checked
		// above) passes too.
		if clean := faultAbsent(p, s.facts, domain, slow, now); s.completed && clean != "" {
			return lab.NotExercised, "the handshake it completed did not have the profile's fault: " + clean
		}
		switch {
		case s.refused != "":
			return lab.Pass, "it refused the handshake: " + s.refused
		case s.completed && s.appData != "":
			return lab.Fail, "it accepted the handshake and went on over TLS: " + s.appData
		case s.completed:
			return lab.Pass, "it completed the handshake and closed without sending data over TLS"
		case s.hung:
			return lab.Inconclusive, "it never finished a handshake before the run stopped it"
		case fam == "sts-bad-port":
			return lab.Pass, "it closed the plaintext connection without going on in it" + appended(s.stopped)
		case s.stopped != "":
			return lab.NotExercised, "it never reached the handshake: " + s.stopped
		}
		return lab.NotExercised, "it never reached the handshake"
	case "slow":
		// PassIf: it gives up on the handshake, or waits and completes it.
		if clean := faultAbsent(p, s.facts, domain, slow, now); s.completed && clean != "" {
			return lab.NotExercised, "the handshake was not slow: " + clean
		}
		switch {
		case s.completed:
			return lab.Pass, "it waited for the delayed ServerHello and completed the handshake"
		case s.refused != "":
			return lab.Pass, "it gave up on the handshake: " + s.refused
		case s.hung:
			return lab.Inconclusive, "it neither completed nor gave up on the handshake before the run stopped it"
		}
		return lab.NotExercised, "it never reached the handshake"
	case "external":
		// PassIf: after the failure it tries another mechanism, aborts or
		// closes; FailIf: it restarts, binds or sends stanzas.
		a := s.auth
		switch {
		case !s.completed:
			return lab.NotExercised, "it never got past TLS, where EXTERNAL is offered"
		case a.failed == "" && a.succeeded != "":
			return lab.NotExercised, "it never had a mechanism refused: it logged in with " + a.succeeded
		case a.failed == "":
			return lab.NotExercised, "it never tried SASL" + neverLoggedIn(s)
		case strings.HasPrefix(a.next, "went on"):
			return lab.Fail, "after " + a.failed + " failed it " + a.next
		case a.next == "closed":
			return lab.Pass, "after " + a.failed + " failed it closed"
		case a.next != "":
			return lab.Pass, "after " + a.failed + " failed it tried " + a.next
		}
		return lab.Pass, "after " + a.failed + " failed it did nothing more"
	case "plus-stripped":
		// PassIf: SCRAM with "y", or -PLUS asked for anyway, and never a
		// login without channel binding (XEP-0474: or it abandons SCRAM
		// after the server-first message). FailIf: SCRAM with "n" (with
		// the hash: its proof), or PLAIN's password.
		a, protected := s.auth, p.Effect.DowngradeProtection
		switch {
		case !s.completed:
			return lab.NotExercised, "it never got past TLS, where the features are stripped"
		case slices.ContainsFunc(a.offered, isPlusMechanism):
			return lab.NotExercised, "the features it printed over TLS offered " + strings.Join(a.offered, " ") + ": -PLUS was not stripped"
		case a.plain != "":
			return lab.Fail, "-PLUS was stripped and it sent its password with PLAIN: " + a.plain
		case protected && a.proof != "":
			return lab.Fail, "it answered a server-first message carrying XEP-0474's hash of the real mechanisms with its proof: " + a.proof
		case a.unbound != "":
			return lab.Fail, "-PLUS was stripped and it logged in with SCRAM without channel binding: " + a.unbound
		case a.kept != "":
			return lab.Pass, "-PLUS was stripped and it insisted on channel binding: " + a.kept
		case protected && a.abandoned != "":
			return lab.Pass, "it abandoned SCRAM after the server-first message, without its proof: " + a.abandoned
		case a.succeeded != "":
			return lab.NotExercised, "it logged in with " + a.succeeded + ", which stripping -PLUS does not touch"
		case s.hung:
			return lab.Inconclusive, "it neither logged in nor signalled channel binding before the run stopped it"
		}
		return lab.NotExercised, "it neither logged in with SCRAM or PLAIN nor signalled channel binding" + neverLoggedIn(s)
	case "server-final":
		// PassIf: after the SCRAM <success/> it closes (or anything but a
		// new stream); FailIf: it restarts the stream as if logged in.
		a := s.auth
		switch {
		case a.scramOK == "" && a.succeeded != "":
			return lab.NotExercised, "it never completed a SCRAM login: it logged in with " + a.succeeded
		case a.scramOK == "":
			return lab.NotExercised, "it never completed a SCRAM login" + neverLoggedIn(s)
		case a.afterSCRAM.kind == "restart":
			return lab.Fail, "after the SCRAM <success/> (" + a.scramOK + ") it restarted the stream as if logged in: " + a.afterSCRAM.what
		case a.afterSCRAM.kind != "":
			return lab.Pass, "after the SCRAM <success/> (" + a.scramOK + ") it did not restart the stream: " + a.afterSCRAM.what
		}
		return lab.Pass, "after the SCRAM <success/> (" + a.scramOK + ") it did nothing more"
	case "wrong-identity":
		// PassIf: after the bind result it closes; FailIf: anything else.
		a := s.auth
		switch {
		case !a.externalOK && a.succeeded != "":
			return lab.NotExercised, "it never logged in with EXTERNAL: it logged in with " + a.succeeded
		case !a.externalOK:
			return lab.NotExercised, "it never logged in with EXTERNAL" + neverLoggedIn(s)
		case a.bound == "":
			return lab.NotExercised, "it never bound a resource after EXTERNAL"
		case a.afterBind.kind == "close" || a.afterBind.kind == "":
			return lab.Pass, "the bind result named " + a.bound + " and it closed without sending anything as it"
		}
		return lab.Fail, "the bind result named " + a.bound + " and it went on: " + a.afterBind.what
	}
	return lab.Inconclusive, "no oracle for profile " + p.Name
}

// neverLoggedIn says, for a client whose output shows no login, what it
// did over TLS instead (openssl and gnutls-cli only send their standard
// input: a stream header and its close).
func neverLoggedIn(s seen) string {
	switch {
	case !s.completed:
		return ": it never completed TLS"
	case s.appData != "":
		return ": all it did over TLS was this (" + s.appData + ")"
	}
	return ""
}

func isPlusMechanism(m string) bool { return strings.HasSuffix(m, "-PLUS") }

func appended(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// faultAbsent says what in the client's output shows that the handshake
// it completed lacked the profile's fault ("" when the output shows the
// fault, or cannot tell: then the server is taken to have done what the
// profile says).
func faultAbsent(p *lab.Profile, f tlsFacts, domain string, slow time.Duration, now time.Time) string {
	e := p.Effect
	switch e.CertFault {
	case "expired":
		if !f.notAfter.IsZero() && f.notAfter.After(now) {
			return "the server certificate it printed is valid until " + f.notAfter.UTC().Format(time.DateTime)
		}
		if f.verified {
			return "it verified the server certificate, dates included"
		}
	case "wrong-name":
		if f.nameOK {
			return "it checked the server certificate against " + domain + " and the name matched"
		}
		if slices.Contains(f.names, domain) {
			return "the server certificate it printed names " + domain
		}
	case "not-yet-valid":
		if f.verified {
			return "it verified the server certificate, dates included"
		}
	case "self-signed", "untrusted-ca":
		if f.verified {
			return "the server certificate chained to the lab CA it trusts"
		}
	case "weak-key":
		if f.keyType != "" && (f.keyType != "RSA" || f.keyBits >= 2048) {
			return fmt.Sprintf("the server key it printed is %s, %d bits", f.keyType, f.keyBits)
		}
	}
	if e.WeakTLS && f.version == "1.3" {
		// Every weak-TLS profile holds the handshake to TLS 1.2 or older
		// (an old version, or TLS 1.2 with weak suites): which suite it
		// got, not every client prints.
		return "it negotiated TLS " + f.version
	}
	if e.SlowHandshake && f.timed && f.handshake < slow/2 {
		return "its handshake took " + f.handshake.Round(time.Millisecond).String()
	}
	return ""
}

// ---- helpers for reading output ----

// line returns the first line of text that contains sub ("" when none),
// trimmed and cut to a readable length.
func line(text, sub string) string {
	for l := range strings.Lines(text) {
		if strings.Contains(l, sub) {
			return clip(strings.TrimSpace(l))
		}
	}
	return ""
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:199] + "…"
	}
	return s
}

// quote quotes output, with a SASL payload or password it shows
// redacted (sendxmpp -d prints its <auth/>).
func quote(s string) string {
	return "«" + clip(secretInOutput.ReplaceAllString(s, "$1$3[redacted]$2$4")) + "»"
}

var (
	sslRoutines = regexp.MustCompile(`(?m)^\S+:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):`)
	verifyError = regexp.MustCompile(`(?m)^verify error:num=\d+:(.*)$`)
	opensslNew  = regexp.MustCompile(`(?m)^New, (TLSv1(?:\.\d)?|SSLv3|\(NONE\)), Cipher is`)
	opensslVal  = regexp.MustCompile(`(?m)^\s+v:NotBefore: .*; NotAfter: (.*)$`)
	opensslKey  = regexp.MustCompile(`(?m)^\s+a:PKEY: (\S+), (\d+) \(bit\)`)
	verifyCode  = regexp.MustCompile(`(?m)^\s*Verify return code: (\d+) \((.*)\)$`)
)

// tlsVersion normalises "TLSv1.3", "TLS1.3", "TLSv1" to "1.3", "1.0".
func tlsVersion(v string) string {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "TLSv"), "TLS")
	if v == "1" {
		v = "1.0"
	}
	if !strings.HasPrefix(v, "1.") {
		return ""
	}
	return v
}

// ---- openssl s_client ----

// observeOpenSSL reads `openssl s_client -starttls xmpp|irc ... -ign_eof`
// fed a stream header and a close (XMPP) or CAP LS and QUIT (IRC) on its
// standard input. s_client prints nothing of the plaintext STARTTLS
// exchange: whatever the server sent that it printed came over TLS, after
// it had sent its standard input. It never sends credentials, never does
// SASL, and sends nothing in plaintext beyond its STARTTLS request (and
// the XMPP stream header before it): so creds, plaintext and injected stay
// empty (it scans the server's answer for "<proceed" and starts TLS,
// ignoring whatever came with it).
func observeOpenSSL(out clientOutput, irc bool) seen {
	t := out.text
	s := seen{connected: strings.Contains(t, "CONNECTED("), hung: out.timedOut}
	answer := line(t, "<stream:features")
	if irc {
		answer = line(t, " CAP * LS ")
	}
	if answer != "" {
		s.completed = true
		s.appData = "it sent its standard input over TLS and printed the server's answer " + quote(answer)
		if !irc {
			// Its standard input: a stream header, then the close. It
			// never logs in.
			s.firstMove = move{"close", "its standard input, a stream header and </stream:stream>"}
			s.auth.offered = offeredMechanisms(answer)
		}
	}
	if m := sslRoutines.FindStringSubmatch(t); m != nil && !s.completed {
		s.refused = m[1]
		if v := verifyError.FindStringSubmatch(t); v != nil {
			s.refused = "verify error " + quote(v[1]) + ", then " + m[1]
		}
	}
	switch {
	case s.completed || s.refused != "":
	case line(t, "STARTTLS not supported") != "":
		s.stopped = quote(line(t, "STARTTLS not supported"))
	case line(t, "STARTTLS negotiation failed") != "":
		s.stopped = quote(line(t, "STARTTLS negotiation failed"))
	case line(t, "Cipher is (NONE)") != "" && out.exit > 0:
		// XMPP: s_client quits when the answer to <starttls/> is not
		// <proceed/>; it says nothing but prints an empty session.
		s.stopped = "it exited " + strconv.Itoa(out.exit) + " without a handshake " + quote(line(t, "Cipher is (NONE)"))
	}
	if s.completed || s.refused != "" {
		// s_client sends its STARTTLS request only when the features
		// offer it (XMPP) or CAP LS lists tls (IRC), and starts the
		// handshake only on the go-ahead.
		s.askedTLS = "it reached the TLS handshake, which s_client starts only after its STARTTLS request"
	}
	f := &s.facts
	if m := opensslNew.FindStringSubmatch(t); m != nil {
		f.version = tlsVersion(m[1])
	}
	if m := opensslVal.FindStringSubmatch(t); m != nil {
		f.notAfter, _ = time.Parse("Jan _2 15:04:05 2006 MST", strings.TrimSpace(m[1]))
	}
	if m := opensslKey.FindStringSubmatch(t); m != nil {
		f.keyType = map[string]string{"rsaEncryption": "RSA", "id-ecPublicKey": "EC"}[m[1]]
		f.keyBits, _ = strconv.Atoi(m[2])
	}
	if m := verifyCode.FindStringSubmatch(t); m != nil && m[1] == "0" && s.completed {
		// Every configuration passes -CAfile {ca} -verify_hostname {domain}.
		f.verified, f.nameOK = true, true
	}
	return s
}

// ---- gnutls-cli ----

var (
	gnutlsDesc    = regexp.MustCompile(`(?m)^- Description: \((TLS1\.\d)-`)
	gnutlsExpires = regexp.MustCompile("expires `([0-9-]+ [0-9:]+ UTC)'")
	gnutlsKey     = regexp.MustCompile(`(RSA|EC/ECDSA) key (\d+) bits`)
	gnutlsWait    = regexp.MustCompile(`error receiving '([^']*)'`)
)

// observeGnuTLS reads `gnutls-cli --starttls-proto=xmpp ...` fed a stream
// header and a close. Its XMPP STARTTLS (src/socket.c) sends its header,
// waits for "<?", sends <starttls/> without reading the features, and
// gives up ("error receiving '<proceed'") when <proceed/> does not come: it
// sends nothing else in plaintext and does no SASL. After the handshake
// ("- Simple Client Mode:") it prints what the server sends.
func observeGnuTLS(out clientOutput) seen {
	t := out.text
	s := seen{connected: strings.Contains(t, "Connecting to '") && !strings.Contains(t, "Cannot connect"), hung: out.timedOut}
	s.completed = strings.Contains(t, "- Handshake was completed")
	if _, after, ok := strings.Cut(t, "- Simple Client Mode:"); ok && strings.Contains(after, "<stream:features") {
		answer := line(after, "<stream:features")
		s.appData = "it sent its standard input over TLS and printed the server's answer " + quote(answer)
		s.firstMove = move{"close", "its standard input, a stream header and </stream:stream>"}
		s.auth.offered = offeredMechanisms(answer)
	}
	if !s.completed {
		for _, sub := range []string{"*** PKI verification of server certificate failed", "*** Fatal error", "*** handshake has failed", "*** Received alert"} {
			if l := line(t, sub); l != "" {
				s.refused = quote(l)
				if st := line(t, "- Status: "); st != "" {
					s.refused += " after " + quote(st)
				}
				break
			}
		}
		if m := gnutlsWait.FindStringSubmatch(t); m != nil && s.refused == "" {
			s.stopped = quote(line(t, "error receiving")) + ": it gave up waiting for " + m[1] + " and sent nothing else"
		}
	}
	switch {
	case s.completed || s.refused != "":
		s.askedTLS = "it reached the TLS handshake"
	case gnutlsWait.MatchString(t):
		s.askedTLS = "it sent <starttls/> and waited for " + quote(line(t, "error receiving"))
	}
	f := &s.facts
	if m := gnutlsDesc.FindStringSubmatch(t); m != nil {
		f.version = tlsVersion(m[1])
	}
	if m := gnutlsExpires.FindStringSubmatch(t); m != nil {
		f.notAfter, _ = time.Parse("2006-01-02 15:04:05 MST", m[1])
	}
	if m := gnutlsKey.FindStringSubmatch(t); m != nil {
		f.keyType = map[string]string{"RSA": "RSA", "EC/ECDSA": "EC"}[m[1]]
		f.keyBits, _ = strconv.Atoi(m[2])
	}
	if strings.Contains(t, "- Status: The certificate is trusted.") {
		// gnutls-cli checks the chain against --x509cafile, the dates and
		// the host name it connected to ({domain}).
		f.verified, f.nameOK = true, true
	}
	return s
}

// ---- go-sendxmpp ----

var logLine = regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (.*)$`)

// observeSendxmpp reads `go-sendxmpp -d ...`. With -d go-xmpp prints what
// it receives (not what it sends); errors come as log lines. So what it
// sent is read from what the server answered: a SASL <success/> or
// <failure/> before <proceed/> answers an <auth/> sent in plaintext; a
// second stream header after <proceed/> answers the one it sent over TLS;
// a <challenge/>, <success/> or SASL <failure/> after the features over
// TLS answers an <auth/> (its first move there was a login); a <success/>
// with no <challenge/> before it answers a one-step mechanism (PLAIN, as
// it has no client certificate here). It has no certificate option:
// SSL_CERT_FILE={ca} is its only trust store, and Go's crypto/tls checks
// chain, dates and the name; a handshake it did not accept ends it with
// "starttls handshake: <why>".
func observeSendxmpp(out clientOutput) seen {
	t := out.text
	s := seen{connected: strings.Contains(t, "<stream:stream"), hung: out.timedOut}
	// The received element, not the word in an error message
	// ("unmarshal <proceed>: expected element type <proceed> but have
	// <failure>").
	before, after, proceeded := strings.Cut(t, "<proceed xmlns=")
	for _, answer := range []string{"<success", "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"} {
		if strings.Contains(before, answer) {
			s.creds = "the server answered a SASL <auth/> before any TLS " + quote(line(before, answer))
		}
	}
	switch {
	case proceeded:
		s.askedTLS = "the server answered its request with <proceed/>"
		s.goAhead = "it printed <proceed/>"
	case strings.Contains(t, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'"):
		s.askedTLS = "the server answered its request with a TLS <failure/>"
	}
	for _, m := range logLine.FindAllStringSubmatch(t, -1) {
		msg := m[1]
		switch {
		case strings.Contains(msg, lab.InjectedMechanism):
			s.injected = quote(msg)
		case strings.HasPrefix(msg, "starttls handshake: "):
			s.refused = quote(strings.TrimPrefix(msg, "starttls handshake: "))
		case s.stopped == "" && !proceeded:
			s.stopped = quote(msg)
		}
	}
	if !proceeded {
		return s
	}
	// The injected features, if any, came in the same read as
	// <proceed/>: skip that line.
	_, afterTLS, _ := strings.Cut(after, "\n")
	if !strings.Contains(afterTLS, "<stream:stream") || s.refused != "" {
		return s
	}
	s.completed = true
	s.facts.verified, s.facts.nameOK = true, true
	s.appData = "the server answered its stream header over TLS " + quote(line(afterTLS, "<stream:stream"))
	if strings.Contains(afterTLS, "<message") || strings.Contains(afterTLS, "<iq") {
		s.appData = "it logged in and sent its message over TLS " + quote(line(afterTLS, "<message"))
	}
	a := &s.auth
	// Every line it printed over TLS: the first is the server's header
	// and features (its answer to the client's header).
	lines := slices.Collect(strings.Lines(afterTLS))
	first := strings.TrimSpace(lines[0])
	a.offered = offeredMechanisms(first)
	if strings.Contains(first, "<proceed") || strings.Contains(first, "policy-violation") {
		s.askedAgain = "the server answered a second STARTTLS request " + quote(first)
	}
	var rest []string
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l != "" && !logLine.MatchString(l) {
			rest = append(rest, l)
		}
	}
	if len(rest) > 0 {
		switch r := rest[0]; {
		case strings.HasPrefix(r, "<challenge"), strings.HasPrefix(r, "<success"), strings.HasPrefix(r, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"):
			s.firstMove = move{"login", "the server answered a login " + quote(r)}
		case strings.Contains(r, "<proceed") || strings.Contains(r, "policy-violation"):
			s.askedAgain = "the server answered a second STARTTLS request " + quote(r)
			s.firstMove = move{"other", s.askedAgain}
		default:
			s.firstMove = move{"other", "the server answered something other than a login " + quote(r)}
		}
	}
	challenged := false
	for i, r := range rest {
		switch {
		case strings.HasPrefix(r, "<challenge"):
			challenged = true
		case strings.HasPrefix(r, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'") && a.failed == "":
			// Which mechanism failed, its trace does not say.
			a.failed = "a mechanism"
			if slices.ContainsFunc(rest[i+1:], func(l string) bool { return strings.HasPrefix(l, "<success") }) {
				a.next, a.succeeded = "another mechanism, which succeeded", "another mechanism"
			} else {
				a.next = "closed"
			}
		case strings.HasPrefix(r, "<success") && a.succeeded == "":
			if challenged {
				// Only SCRAM answers an <auth/> with a <challenge/>
				// among what it offered.
				a.succeeded, a.scramOK = "a SCRAM mechanism (a <challenge/> came before <success/>)", "SCRAM"
				if i+1 < len(rest) && strings.HasPrefix(rest[i+1], "<?xml") || i+1 < len(rest) && strings.HasPrefix(rest[i+1], "<stream:stream") {
					a.afterSCRAM = move{"restart", "the server answered a new stream header " + quote(rest[i+1])}
				}
				break
			}
			a.succeeded = "a one-step mechanism (<success/> with no <challenge/> before it)"
			if slices.Contains(a.offered, "PLAIN") && !slices.Contains(a.offered, "EXTERNAL") {
				a.succeeded = "PLAIN"
				a.plain = "it logged in in one step (<success/> with no <challenge/>) where the features over TLS offered " +
					strings.Join(a.offered, " ") + ": PLAIN, its password"
			}
		}
	}
	return s
}

// ---- the JSON-lines scripts (slixmpp, python3-irc) ----

type scriptEvent map[string]any

func (e scriptEvent) str(k string) string { v, _ := e[k].(string); return v }
func (e scriptEvent) flag(k string) bool  { v, _ := e[k].(bool); return v }
func (e scriptEvent) num(k string) (float64, bool) {
	v, ok := e[k].(float64)
	return v, ok
}

// scriptEvents parses the JSON lines a script printed (other lines, such
// as a library's warnings, are skipped).
func scriptEvents(text string) []scriptEvent {
	var out []scriptEvent
	for l := range strings.Lines(text) {
		var e scriptEvent
		if json.Unmarshal([]byte(l), &e) == nil && e.str("event") != "" {
			out = append(out, e)
		}
	}
	return out
}

// factsFrom reads the handshake facts a script printed. verified: both
// scripts require a certificate that chains to --ca (dates included);
// nameOK: Python checks the name only when it was given one
// (server_hostname).
func factsFrom(e scriptEvent) tlsFacts {
	f := tlsFacts{version: tlsVersion(e.str("version")), verified: true, nameOK: e.str("server_hostname") != ""}
	f.notAfter, _ = time.Parse("Jan _2 15:04:05 2006 MST", e.str("not_after"))
	if names, ok := e["dns_names"].([]any); ok {
		for _, n := range names {
			if s, ok := n.(string); ok {
				f.names = append(f.names, s)
			}
		}
	}
	if bits, ok := e.num("key_bits"); ok {
		f.keyType, f.keyBits = e.str("key_type"), int(bits)
	}
	if ms, ok := e.num("handshake_ms"); ok {
		f.handshake, f.timed = time.Duration(ms)*time.Millisecond, true
	}
	return f
}

// ---- what a client did over TLS, from its own trace ----

var (
	xmlMechanism = regexp.MustCompile(`mechanism=["']([^"']+)["']`)
	xmlMechList  = regexp.MustCompile(`<mechanism>([^<]+)</mechanism>`)
	xmlBoundJID  = regexp.MustCompile(`<jid>([^<]+)</jid>`)
)

// offeredMechanisms lists the SASL mechanisms of a features element (nil
// when it lists none).
func offeredMechanisms(features string) []string {
	var out []string
	for _, m := range xmlMechList.FindAllStringSubmatch(features, -1) {
		out = append(out, m[1])
	}
	return out
}

// stripDecl drops an XML declaration and surrounding whitespace.
func stripDecl(data string) string {
	data = strings.TrimSpace(data)
	if strings.HasPrefix(data, "<?xml") {
		if _, rest, ok := strings.Cut(data, "?>"); ok {
			data = strings.TrimSpace(rest)
		}
	}
	return data
}

// tlsTrace follows what a client that prints what it sends and receives
// (slixmpp's trace, sendxmpp's debug output) did over TLS: its STARTTLS
// requests, its first move after the new stream header, its logins and
// what it did after them. The caller judges what it sent before TLS.
type tlsTrace struct {
	s          *seen
	headers    int    // stream headers it sent over TLS
	mech, gs2  string // the <auth/> in flight: its mechanism and GS2 flag
	scram      string // "started" (server-first awaited or answered without proof), "proof"
	afterSCRAM bool   // its next move answers a SCRAM <success/>
	afterBind  bool   // its next move follows the bind result after EXTERNAL
}

func (k *tlsTrace) sent(data string, gs2 string, proof bool) {
	s, a := k.s, &k.s.auth
	d := stripDecl(data)
	if d == "" {
		return
	}
	kind, what := "other", "it sent "+quote(d)
	switch {
	case strings.HasPrefix(d, "<stream:stream"):
		kind = "restart"
	case d == "</stream:stream>":
		kind = "close"
	case strings.HasPrefix(d, "<auth"), strings.Contains(d, "jabber:iq:auth"):
		kind = "login"
	}
	if kind != "close" && s.appData == "" {
		s.appData = "it sent " + quote(d) + " over TLS"
	}
	if strings.HasPrefix(d, "<starttls") && s.askedAgain == "" {
		s.askedAgain = "it sent " + quote(d) + " over TLS"
	}
	if k.afterSCRAM {
		k.afterSCRAM, a.afterSCRAM = false, move{kind, what}
	}
	if k.afterBind {
		k.afterBind, a.afterBind = false, move{kind, what}
	}
	if kind == "restart" {
		k.headers++
		if k.headers == 1 {
			return
		}
	}
	if k.headers > 0 && s.firstMove.kind == "" {
		s.firstMove = move{kind, what}
	}
	if a.failed != "" && a.next == "" {
		switch {
		case strings.HasPrefix(d, "<auth"):
			a.next = "another mechanism (" + mechanismOf(d) + ")"
		case strings.HasPrefix(d, "<abort"):
			a.next = "an abort"
		case kind == "close":
			a.next = "closed"
		default:
			a.next = "went on as if logged in: " + quote(d)
		}
	}
	switch {
	case strings.HasPrefix(d, "<auth"):
		k.mech, k.gs2, k.scram = mechanismOf(d), gs2, ""
		switch {
		case isPlusMechanism(k.mech) && a.offered != nil && !slices.Contains(a.offered, k.mech):
			a.kept = "it asked for " + k.mech + ", which the features did not offer"
		case strings.HasPrefix(k.mech, "SCRAM-") && !isPlusMechanism(k.mech) && gs2 == "y":
			a.kept = "it started " + k.mech + " with the GS2 flag \"y\" (it can bind, and saw no -PLUS)"
		case k.mech == "PLAIN" && a.plain == "":
			a.plain = "it sent " + quote(d) + " over TLS"
		}
		if strings.HasPrefix(k.mech, "SCRAM-") {
			k.scram = "started"
		}
	case strings.HasPrefix(d, "<response") && proof && k.scram != "":
		k.scram = "proof"
		if !isPlusMechanism(k.mech) && a.proof == "" {
			a.proof = "it sent its client-final message with the proof for " + k.mech + " (GS2 flag " + strconvQuote(k.gs2) + ")"
		}
	case (strings.HasPrefix(d, "<abort") || kind == "close") && k.scram == "started" && !isPlusMechanism(k.mech) && a.abandoned == "":
		a.abandoned = "after the server-first message of " + k.mech + " it sent " + quote(d) + ", no proof"
	}
}

func (k *tlsTrace) received(data string) {
	a := &k.s.auth
	if a.offered == nil && strings.Contains(data, "<mechanisms") && a.succeeded == "" {
		a.offered = offeredMechanisms(data)
	}
	switch {
	case strings.Contains(data, "<success"):
		if k.mech == "" {
			return
		}
		if a.succeeded == "" {
			a.succeeded = k.mech
		}
		if strings.HasPrefix(k.mech, "SCRAM-") && a.scramOK == "" {
			a.scramOK = k.mech
			k.afterSCRAM = true
			if !isPlusMechanism(k.mech) && k.gs2 != "y" {
				a.unbound = "it logged in with " + k.mech + " (GS2 flag " + strconvQuote(k.gs2) + ")"
			}
		}
		if k.mech == "EXTERNAL" {
			a.externalOK = true
		}
		k.mech, k.scram = "", ""
	case strings.Contains(data, "<failure") && strings.Contains(data, "xmpp-sasl"):
		if a.failed == "" && k.mech == "EXTERNAL" {
			// The refusal external-then-fail is about.
			a.failed = k.mech
		}
		k.mech, k.scram = "", ""
	case a.externalOK && a.bound == "" && strings.Contains(data, "urn:ietf:params:xml:ns:xmpp-bind"):
		if m := xmlBoundJID.FindStringSubmatch(data); m != nil {
			a.bound, k.afterBind = m[1], true
		}
	}
}

// mechanismOf is the mechanism an <auth/> names.
func mechanismOf(auth string) string {
	if m := xmlMechanism.FindStringSubmatch(auth); m != nil {
		return m[1]
	}
	return "?"
}

func strconvQuote(s string) string {
	if s == "" {
		return "unknown"
	}
	return strconv.Quote(s)
}

// observeSlixmpp reads testdata/labmatrix_slixmpp.py: slixmpp's own trace
// of every chunk it sent and every element it read (with whether TLS was
// up; a SCRAM <auth/> with its GS2 flag, a <response/> with whether it
// carries the proof), its log, and its events.
func observeSlixmpp(out clientOutput) seen {
	s := seen{hung: out.timedOut}
	k := &tlsTrace{s: &s}
	// proceeded: <proceed/> came; readAfter: it parsed plaintext that
	// came after <proceed/> (the injection), before TLS was up.
	proceeded, readAfter, tlsUp := false, false, false
	for _, e := range scriptEvents(out.text) {
		data, secure := e.str("data"), e.flag("tls")
		switch ev := e.str("event"); {
		case ev == "send":
			s.connected = true
			if strings.Contains(data, lab.InjectedMechanism) {
				s.injected = "it sent " + quote(data)
			}
			if !secure {
				switch {
				case strings.HasPrefix(data, "<auth"):
					s.creds = "it sent " + quote(data) + " before TLS"
				case readAfter && !tlsUp:
					if s.injected == "" {
						s.injected = "after <proceed/> it parsed the plaintext that followed it"
					}
					s.injected += "; it answered, in plaintext where its ClientHello belonged, " + quote(data)
				case strings.HasPrefix(data, "<starttls"):
					s.askedTLS = "it sent " + quote(data)
				case strings.HasPrefix(data, "<stream:stream"), data == "</stream:stream>":
				default:
					s.plaintext = quote(data)
				}
				continue
			}
			k.sent(data, e.str("gs2"), e.flag("scram_proof"))
		case ev == "recv":
			if !secure && proceeded && !tlsUp {
				readAfter = true
			}
			if !secure && strings.HasPrefix(data, "<proceed") && !proceeded {
				proceeded, s.goAhead = true, "it read "+quote(data)
			}
			if !secure && strings.HasPrefix(data, "<failure") && !proceeded && s.stopped == "" {
				s.stopped = "STARTTLS was answered " + quote(data) + " and it did not go on"
			}
			if secure {
				k.received(data)
			}
		case ev == "failed_all_auth" && readAfter && !tlsUp && s.injected == "":
			s.injected = "after <proceed/> it ran its SASL mechanism choice on the stream features that followed it in plaintext (\"No appropriate login method.\", failed_all_auth) before TLS was up"
		case ev == "failed_all_auth" && !proceeded && s.stopped == "":
			s.stopped = "it found no mechanism it would use without TLS (\"No appropriate login method.\") and closed the stream"
		case ev == "log" && strings.HasPrefix(e.str("msg"), "SSL: Unable to connect"):
			s.refused = quote(e.str("msg"))
		case ev == "tls_success":
			tlsUp, s.completed = true, true
			s.facts = factsFrom(e)
		case ev == "tls_facts":
			ms := s.facts
			s.facts = factsFrom(e)
			if !s.facts.timed {
				s.facts.handshake, s.facts.timed = ms.handshake, ms.timed
			}
		}
	}
	return s
}

// ---- sendxmpp (Perl, Net::XMPP) ----

// sendxmppRecord starts a record of `sendxmpp -d 3`'s debug output; a
// record goes on over the lines that follow (a message body's newline).
var sendxmppRecord = regexp.MustCompile(`^(XML::Stream|XMPP::Conn|sendxmpp): |^Use of uninitialized|^Error '|^Invalid or unreadable`)

// observeSendxmppPerl reads `sendxmpp -t -d 3 ...` (Debian's sendxmpp on
// Net::XMPP and XML::Stream). At debug level 3 XML::Stream prints every
// string it is asked to send ("Send: (…)") and then what became of it:
// "Send: socket(IO::Socket::INET=…)" or "socket(IO::Socket::SSL=…)" and
// "Send: can_write" when it was written, in plaintext or over TLS, or
// "Send: socket not defined" when the stream was dead and nothing went
// out. Everything it read comes as "Read: buff(…)". After <proceed/>,
// "TLSClientProceed: ssl_sock(IO::Socket::SSL=…)" shows IO::Socket::SSL
// took the socket over; "ssl_sock(IO::Socket::INET=…)" shows start_SSL
// failed (it verifies with -a {ca}), although XML::Stream logs "SSL: We are
// secure" all the same.
func observeSendxmppPerl(out clientOutput) seen {
	s := seen{hung: out.timedOut, connected: strings.Contains(out.text, "Connect: Got a connection")}
	k := &tlsTrace{s: &s}
	var records []string
	for l := range strings.Lines(out.text) {
		if sendxmppRecord.MatchString(l) || len(records) == 0 {
			records = append(records, l)
		} else {
			records[len(records)-1] += l
		}
	}
	failedTLS, proceeds := false, 0
	for i, r := range records {
		r = strings.TrimRight(r, "\n")
		switch {
		case strings.HasPrefix(r, "XML::Stream: Send: ("):
			data := strings.TrimSuffix(strings.TrimPrefix(r, "XML::Stream: Send: ("), ")")
			written, secure := false, false
			for _, n := range records[i+1:] {
				if strings.HasPrefix(n, "XML::Stream: Send: (") {
					break
				}
				if strings.HasPrefix(n, "XML::Stream: Send: socket(IO::Socket::SSL=") {
					secure = true
				}
				if strings.HasPrefix(n, "XML::Stream: Send: can_write") {
					written = true
					break
				}
			}
			d := stripDecl(data)
			if !written || d == "" {
				continue
			}
			if strings.Contains(d, lab.InjectedMechanism) {
				s.injected = "it sent " + quote(d)
			}
			if secure {
				k.sent(d, "", false)
				continue
			}
			switch {
			case failedTLS && s.plaintext == "":
				s.plaintext = "its TLS handshake had failed (start_SSL left an IO::Socket::INET socket) and it wrote " + quote(d) + " in plaintext on the same connection"
				if strings.Contains(d, "<password") || strings.HasPrefix(d, "<auth") {
					s.creds = s.plaintext
				}
			case strings.HasPrefix(d, "<auth"), strings.Contains(d, "<password"):
				s.creds = "it wrote " + quote(d) + " before TLS"
			case strings.HasPrefix(d, "<starttls"):
				s.askedTLS = "it wrote " + quote(d)
			case strings.HasPrefix(d, "<stream:stream"), d == "</stream:stream>":
			case s.plaintext == "":
				s.plaintext = "it wrote " + quote(d) + " in plaintext"
			}
		case strings.HasPrefix(r, "XML::Stream: Read: buff("):
			data := strings.TrimSuffix(strings.TrimPrefix(r, "XML::Stream: Read: buff("), ")")
			if k.s.completed && !failedTLS {
				k.received(data)
			}
			if strings.Contains(data, "<proceed") && s.goAhead == "" {
				s.goAhead = "it read " + quote(data)
			}
			if !s.completed && strings.Contains(data, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'") && s.stopped == "" {
				s.stopped = "STARTTLS was answered " + quote(data)
			}
		case strings.HasPrefix(r, "XML::Stream: TLSClientProceed: ssl_sock("):
			proceeds++
			switch {
			case proceeds > 1:
				// start_SSL again, on the socket IO::Socket::SSL holds:
				// a second ClientHello on the TLS connection.
				if s.firstMove.kind == "" {
					s.firstMove = move{"other", "it started a second TLS handshake on the TLS connection " + quote(r) + " (XML::Stream's TLSClientProceed, run again)"}
				}
			case strings.Contains(r, "IO::Socket::SSL="):
				s.completed = true
				// IO::Socket::SSL verified the chain against -a {ca} and
				// the name (SSL_verify_mode 1, its default for a client).
				s.facts.verified, s.facts.nameOK = true, true
			default:
				failedTLS = true
				s.refused = "IO::Socket::SSL's start_SSL failed: the socket stayed " + quote(r) + " (XML::Stream logs \"SSL: We are secure\" all the same)"
			}
		case strings.HasPrefix(r, "Error 'AuthSend'") && s.stopped == "" && !s.completed:
			s.stopped = quote(r)
		}
	}
	return s
}

// ---- the IRC clients ----

// observeIRCScript reads testdata/labmatrix_irc.py: every line it sent and
// read (with whether TLS was up) and its events.
func observeIRCScript(out clientOutput) seen {
	s := seen{hung: out.timedOut}
	welcomed := false // the server's 001 came over TLS
	for _, e := range scriptEvents(out.text) {
		l, secure := e.str("line"), e.flag("tls")
		switch e.str("event") {
		case "send":
			s.connected = true
			switch {
			case strings.Contains(l, lab.InjectedMechanism):
				s.injected = "it sent " + quote(l)
			case secure:
				if s.appData == "" && !strings.HasPrefix(l, "QUIT") {
					s.appData = "it sent " + quote(l) + " over TLS"
				}
				if verb, _, _ := strings.Cut(l, " "); !welcomed && registeredOnly(verb) && s.beforeWelcome == "" {
					s.beforeWelcome = "it sent " + quote(l)
				}
			case !secure && l == "STARTTLS":
				s.askedTLS = "it sent STARTTLS"
			case !secure && l != "CAP LS 302":
				s.plaintext = quote(l)
			}
		case "recv":
			if !secure && strings.Contains(l, " 670 ") && s.goAhead == "" {
				s.goAhead = "it read " + quote(l)
			}
			if secure && ircReply(l) == "001" {
				welcomed = true
			}
		case "no_tls":
			s.stopped = "the server listed no tls capability, and it closed"
		case "starttls_refused":
			s.stopped = "STARTTLS was answered " + e.str("numeric") + ", and it closed"
		case "tls_error":
			s.refused = quote(e.str("error"))
		case "tls":
			s.completed = true
			s.facts = factsFrom(e)
		}
	}
	return s
}

// registeredOnly reports whether an IRC command is one only a registered
// client sends (anything but the registration, capability and login
// talk, and QUIT).
func registeredOnly(verb string) bool {
	switch strings.ToUpper(verb) {
	case "CAP", "NICK", "USER", "PASS", "AUTHENTICATE", "PING", "PONG", "QUIT", "STARTTLS", "":
		return false
	}
	return true
}

// ircReply is the numeric of a server line (":server 001 nick …"), "" for
// anything else.
func ircReply(l string) string {
	f := strings.Fields(l)
	if len(f) > 1 && strings.HasPrefix(f[0], ":") && len(f[1]) == 3 && strings.Trim(f[1], "0123456789") == "" {
		return f[1]
	}
	return ""
}

var (
	irssiProtocol = regexp.MustCompile(`Irssi: Protocol: (TLSv1(?:\.\d)?) `)
	irssiKey      = regexp.MustCompile(`Irssi: Public Key: (\d+) bit (\S+), valid from .* to (.*GMT)$`)
	irssiReply    = regexp.MustCompile(`^>> :\S+ (\d{3}) `)
)

// observeIrssi reads testdata/labmatrix_irssi.py: irssi's window and its
// own rawlog ("<<" what it sent, ">>" what it read, "--> Now talking
// encrypted" once its TLS handshake succeeded), and how the script saw it
// end. irssi verifies the certificate after the handshake (tls_verify):
// "Could not verify TLS servers certificate: …" then "Connection lost" is
// its refusal; a failed handshake is "SSL handshake failed: …", or "SSL
// read error: …" when the failure came up in a read.
func observeIrssi(out clientOutput) seen {
	s := seen{hung: out.timedOut}
	var window []string
	encrypted, registeredPlain, welcomed := false, false, false
	sentPlain := map[string]bool{} // the commands it sent before TLS
	for _, e := range scriptEvents(out.text) {
		switch e.str("event") {
		case "window":
			window = append(window, e.str("line"))
		case "raw":
			l := e.str("line")
			switch {
			case l == "--> Now talking encrypted":
				encrypted = true
			case strings.HasPrefix(l, "<< "):
				s.connected = true
				cmd := strings.TrimPrefix(l, "<< ")
				verb, _, _ := strings.Cut(cmd, " ")
				if !encrypted {
					sentPlain[verb] = true
				}
				switch {
				case strings.Contains(cmd, lab.InjectedMechanism):
					s.injected = "it sent " + quote(cmd)
				case encrypted:
					if s.appData == "" && verb != "QUIT" {
						s.appData = "it sent " + quote(cmd) + " over TLS"
					}
					if !welcomed && registeredOnly(verb) && cmd != "JOIN :" && s.beforeWelcome == "" {
						s.beforeWelcome = "it sent " + quote(cmd)
					}
				case cmd == "STARTTLS":
					s.askedTLS = "it sent STARTTLS"
				case verb == "AUTHENTICATE" && cmd != "AUTHENTICATE PLAIN" && cmd != "AUTHENTICATE EXTERNAL" && s.creds == "":
					s.creds = "it sent its SASL PLAIN payload before TLS " + quote(cmd)
				case verb == "PASS" && s.creds == "":
					s.creds = "it sent " + quote("PASS …") + " before TLS"
				case verb == "CAP" || verb == "NICK" || verb == "USER" || verb == "QUIT" || cmd == "JOIN :":
					// Capability talk and a registration still pending
					// (irssi's "JOIN :" probe asks for nothing).
				case s.plaintext == "":
					s.plaintext = "it sent " + quote(cmd) + " in plaintext"
				}
			case strings.HasPrefix(l, ">> "):
				s.connected = true
				if m := irssiReply.FindStringSubmatch(l); m != nil && encrypted && m[1] == "001" {
					welcomed = true
				}
				if m := irssiReply.FindStringSubmatch(l); m != nil && !encrypted && m[1] == "670" && s.goAhead == "" {
					s.goAhead = "it read " + quote(strings.TrimPrefix(l, ">> "))
				}
				if m := irssiReply.FindStringSubmatch(l); m != nil && !encrypted {
					switch m[1] {
					case "001":
						registeredPlain = true
					case "421", "691":
						if s.stopped == "" {
							s.stopped = "STARTTLS was answered " + quote(strings.TrimPrefix(l, ">> ")) + " and it sent nothing more"
						}
					}
				}
			}
		}
	}
	if registeredPlain && sentPlain["NICK"] && sentPlain["USER"] && s.plaintext == "" {
		// Its own NICK and USER, answered with 001 (a forged 001 read
		// after 670 is not its registration).
		s.plaintext = "it completed its registration in plaintext (NICK and USER, then 001, before any TLS)"
	}
	for _, w := range window {
		switch {
		case strings.Contains(w, "Could not verify TLS servers certificate"), strings.Contains(w, "SSL handshake failed"),
			strings.Contains(w, "TLS handshake failed"), strings.Contains(w, "None of the Subject Alt Names"),
			// The same refusal met by a read: irssi's handshake goes on
			// inside its reads, and on a loaded machine OpenSSL's error
			// surfaces there ("SSL read error: legacy sigalg disallowed
			// or unsupported" for TLS 1.1) before "Now talking encrypted".
			strings.Contains(w, "SSL read error") && !encrypted:
			if s.refused == "" {
				s.refused = quote(w)
			}
		}
		if m := irssiProtocol.FindStringSubmatch(w); m != nil {
			s.facts.version = tlsVersion(m[1])
		}
		if m := irssiKey.FindStringSubmatch(w); m != nil {
			s.facts.keyBits, _ = strconv.Atoi(m[1])
			s.facts.keyType = m[2]
			s.facts.notAfter, _ = time.Parse("Jan _2 15:04:05 2006 MST", strings.TrimSpace(m[3]))
		}
	}
	if encrypted && s.refused == "" {
		s.completed = true
		// tls_verify: the chain against tls_cafile, the dates and the
		// server's name ({domain}).
		s.facts.verified, s.facts.nameOK = true, true
	}
	return s
}
