package interop

// The report card's oracle: what a real client's OWN output shows it did
// under a lab profile, and the verdict that behaviour earns by the
// profile's PassIf/FailIf. It reads the client's exit status and what it
// printed, and the profile's definition (lab.Profile.Effect); never
// jabberd's verdict, reason, flags or transcript.
//
// Two steps. A parser per client (observeOpenSSL, observeGnuTLS,
// observeSendxmpp, observeSlixmpp, observeIRCScript) turns its output into
// a seen: the same facts for every client (did it reach TLS, refuse the
// handshake, send data over TLS, go on in plaintext, ...), each with the
// line of output that shows it. Then expect maps a seen to a verdict, per
// profile family.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"jabberd/lab"
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
	stopped   string // STARTTLS was not offered or was refused, and it stopped there
	plaintext string // it went on in plaintext where it should not have
	creds     string // it sent a credential in plaintext
	injected  string // it used or answered the plaintext injected after the go-ahead

	// The handshake.
	refused   string // it refused the handshake (its own words)
	completed bool   // it completed the handshake
	appData   string // it exchanged application data over TLS (more than a close)
	facts     tlsFacts

	// SASL after TLS.
	auth authSeen
}

// authSeen is what the output shows of SASL: the first attempt that
// failed, and the client's next move.
type authSeen struct {
	failed string // "" when no attempt failed; else which one (or "a mechanism")
	next   string // after the failure: "another mechanism …", "abort", "closed", "went on: …"
	// succeeded is the mechanism that logged it in, "" when none did (or
	// the output does not say).
	succeeded string
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

// The profile families, read from the profile's definition.
func family(p *lab.Profile) string {
	e := p.Effect
	switch {
	case e.StripStartTLS:
		return "strip"
	case e.FailStartTLS:
		return "refuse"
	case e.Inject:
		return "inject"
	case e.CertFault != "" || e.WeakTLS:
		return "handshake"
	case e.ExternalThenFail:
		return "external"
	case e.SlowHandshake:
		return "slow"
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
	// A pass that rests on the client stopping by itself is not earned by
	// a client the run had to stop.
	stoppedItself := func(why string) (string, string) {
		if s.hung {
			return lab.Inconclusive, "it neither went on nor stopped: the run's timeout ended it (" + why + ")"
		}
		return lab.Pass, why
	}
	switch family(p) {
	case "strip", "refuse":
		// PassIf: it stops (closes) without sending anything more in
		// plaintext; FailIf: it goes on in plaintext (checked above).
		switch {
		case s.completed || s.refused != "":
			return lab.Inconclusive, "it reached a TLS handshake although STARTTLS was " + map[string]string{"strip": "not offered", "refuse": "refused"}[family(p)]
		case s.stopped != "":
			return stoppedItself("it stopped without TLS and sent nothing more in plaintext: " + s.stopped)
		}
		return stoppedItself("it sent nothing in plaintext beyond its stream header and STARTTLS")
	case "bait":
		// PassIf: STARTTLS before any credential; FailIf: a credential in
		// plaintext (checked above).
		if s.completed || s.refused != "" {
			return lab.Pass, "it asked for STARTTLS (it reached the handshake) and sent no credential before"
		}
		if s.hung {
			return lab.Inconclusive, "it neither asked for STARTTLS nor sent a credential before the run stopped it"
		}
		return lab.NotExercised, "it neither asked for STARTTLS nor sent a credential"
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
		}
		return lab.NotExercised, "it never reached the TLS handshake"
	case "handshake":
		// PassIf: it refuses the handshake, or completes it and closes
		// without data; FailIf: application data over TLS.
		if clean := faultAbsent(p, s.facts, domain, slow, now); s.completed && clean != "" {
			return lab.NotExercised, "the handshake it completed did not have the profile's fault: " + clean
		}
		switch {
		case s.refused != "":
			return lab.Pass, "it refused the handshake: " + s.refused
		case s.completed && s.appData != "":
			return lab.Fail, "it accepted the handshake and went on over TLS: " + s.appData
		case s.completed:
			return stoppedItself("it completed the handshake and closed without sending data over TLS")
		case s.hung:
			return lab.Inconclusive, "it never finished a handshake before the run stopped it"
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
			return lab.NotExercised, "it never tried SASL"
		case strings.HasPrefix(a.next, "went on"):
			return lab.Fail, "after " + a.failed + " failed it " + a.next
		case a.next == "closed":
			return stoppedItself("after " + a.failed + " failed it closed")
		case a.next != "":
			return lab.Pass, "after " + a.failed + " failed it tried " + a.next
		}
		return stoppedItself("after " + a.failed + " failed it did nothing more")
	}
	return lab.Inconclusive, "no oracle for profile " + p.Name
}

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
	case "self-signed", "untrusted-ca":
		if f.verified {
			return "the server certificate chained to the lab CA it trusts"
		}
	case "weak-key":
		if f.keyType != "" && (f.keyType != "RSA" || f.keyBits >= 2048) {
			return fmt.Sprintf("the server key it printed is %s, %d bits", f.keyType, f.keyBits)
		}
	}
	if e.WeakTLS && f.version != "" && f.version != "1.0" {
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

func quote(s string) string { return "«" + clip(s) + "»" }

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
		s.appData = "it sent its standard input over TLS and printed the server's answer " + quote(line(after, "<stream:features"))
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
// second stream header after <proceed/> answers the one it sent over TLS.
// It has no certificate option: SSL_CERT_FILE={ca} is its only trust
// store, and Go's crypto/tls checks chain, dates and the name; a handshake
// it did not accept ends it with "starttls handshake: <why>".
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
	if proceeded {
		// The injected features, if any, came in the same read as
		// <proceed/>: skip that line.
		_, afterTLS, _ := strings.Cut(after, "\n")
		if strings.Contains(afterTLS, "<stream:stream") && s.refused == "" {
			s.completed = true
			s.facts.verified, s.facts.nameOK = true, true
			s.appData = "the server answered its stream header over TLS " + quote(line(afterTLS, "<stream:stream"))
			if strings.Contains(afterTLS, "<message") || strings.Contains(afterTLS, "<iq") {
				s.appData = "it logged in and sent its message over TLS " + quote(line(afterTLS, "<message"))
			}
			_, afterFail, hasFailure := strings.Cut(afterTLS, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'")
			switch {
			case hasFailure:
				// Which mechanism failed, its trace does not say.
				s.auth.failed = "a mechanism"
				if strings.Contains(afterFail, "<success") {
					s.auth.next, s.auth.succeeded = "another mechanism, which succeeded", "another mechanism"
				} else {
					s.auth.next = "closed"
				}
			case strings.Contains(afterTLS, "<success"):
				s.auth.succeeded = "its first mechanism (its trace shows <success/> and no <failure/>)"
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

var xmlMechanism = regexp.MustCompile(`mechanism=["']([^"']+)["']`)

// observeSlixmpp reads testdata/labmatrix_slixmpp.py: slixmpp's own trace
// of every chunk it sent and every element it read (with whether TLS was
// up), its log, and its events.
func observeSlixmpp(out clientOutput) seen {
	s := seen{hung: out.timedOut}
	// proceeded: <proceed/> came; readAfter: it parsed plaintext that
	// came after <proceed/> (the injection), before TLS was up.
	proceeded, readAfter, tlsUp := false, false, false
	var lastSASL string // the mechanism of the <auth/> in flight
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
				case readAfter && !tlsUp && s.refused == "":
					if s.injected == "" {
						s.injected = "after <proceed/> it parsed the plaintext that followed it"
					}
					s.injected += "; it answered, in plaintext where its ClientHello belonged, " + quote(data)
				case strings.HasPrefix(data, "<stream:stream"), strings.HasPrefix(data, "<starttls"), data == "</stream:stream>":
				default:
					s.plaintext = quote(data)
				}
				continue
			}
			if data != "</stream:stream>" && s.appData == "" {
				s.appData = "it sent " + quote(data) + " over TLS"
			}
			if s.auth.failed != "" && s.auth.next == "" {
				switch {
				case strings.HasPrefix(data, "<auth"):
					s.auth.next = "another mechanism (" + xmlMechanism.FindStringSubmatch(data)[1] + ")"
				case strings.HasPrefix(data, "<abort"):
					s.auth.next = "an abort"
				case data == "</stream:stream>":
					s.auth.next = "closed"
				default:
					s.auth.next = "went on as if logged in: " + quote(data)
				}
			}
			if strings.HasPrefix(data, "<auth") {
				lastSASL = xmlMechanism.FindStringSubmatch(data)[1]
			}
		case ev == "recv":
			if !secure && proceeded && !tlsUp {
				readAfter = true
			}
			if !secure && strings.HasPrefix(data, "<proceed") {
				proceeded = true
			}
			if !secure && strings.HasPrefix(data, "<failure") && !proceeded && s.stopped == "" {
				s.stopped = "STARTTLS was answered " + quote(data) + " and it did not go on"
			}
			if secure && strings.HasPrefix(data, "<failure") && lastSASL == "EXTERNAL" && s.auth.failed == "" {
				s.auth.failed = "EXTERNAL"
			}
			if secure && strings.HasPrefix(data, "<success") && s.auth.failed == "" {
				s.auth.succeeded = lastSASL
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

// observeIRCScript reads testdata/labmatrix_irc.py: every line it sent and
// read (with whether TLS was up) and its events.
func observeIRCScript(out clientOutput) seen {
	s := seen{hung: out.timedOut}
	for _, e := range scriptEvents(out.text) {
		l, secure := e.str("line"), e.flag("tls")
		switch e.str("event") {
		case "send":
			s.connected = true
			switch {
			case strings.Contains(l, lab.InjectedMechanism):
				s.injected = "it sent " + quote(l)
			case secure && s.appData == "" && !strings.HasPrefix(l, "QUIT"):
				s.appData = "it sent " + quote(l) + " over TLS"
			case !secure && l != "CAP LS 302" && l != "STARTTLS":
				s.plaintext = quote(l)
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
