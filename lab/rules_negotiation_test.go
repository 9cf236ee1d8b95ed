package lab

import (
	"slices"
	"strings"
	"testing"
)

// TestNegotiationVerdicts draws the checks and the verdict of the
// response-injection and negotiation profiles (rules_negotiation.go) from
// the calls a connection makes: for a client that falls for each, one that
// does not, one whose decisive moment the server cut short, and one that
// never met what the profile bends.
func TestNegotiationVerdicts(t *testing.T) {
	header := Input{Kind: "header"}
	iq := Input{Kind: "element", Name: "iq"}
	starttls := Input{Kind: "element", Name: "starttls", StartTLS: true}
	plain := Input{Kind: "element", Name: "auth", Mechanism: "PLAIN", Credentials: true}
	scram := Input{Kind: "element", Name: "auth", Mechanism: "SCRAM-SHA-256"}
	refused := Input{Kind: "refused"}
	const byClient, byServer = "client disconnected", "connection-timeout: no data while waiting for stream negotiation to finish"
	// opened: an RFC 6120 (or legacy) stream and its features.
	opened := func(tr *Transcript, dialect string) {
		tr.In("h", 1, false, header)
		tr.SetDialect(dialect)
	}
	// upgraded: STARTTLS asked for and the handshake completed.
	upgraded := func(tr *Transcript, dialect string) {
		opened(tr, dialect)
		tr.In("s", 1, false, starttls)
		tr.TLSRequested()
		tr.TLSEstablished("TLS 1.3", "c", "", "none")
	}
	// inTLS: upgraded, then the new stream's header over TLS.
	inTLS := func(tr *Transcript) {
		upgraded(tr, "rfc6120")
		tr.In("h", 1, false, header)
	}
	cases := []struct {
		name, profile string
		run           func(tr *Transcript)
		end           string
		want          []string
		verdict       string
	}{
		// inject-success
		{"success: logs in over TLS", "inject-success", func(tr *Transcript) {
			inTLS(tr)
			tr.In("a", 1, true, scram)
		}, byClient, []string{"discarded-injected-data"}, Pass},
		{"success: binds without logging in", "inject-success", func(tr *Transcript) {
			inTLS(tr)
			tr.In("b", 1, false, iq)
		}, byServer, []string{"acted-on-injected-data"}, Fail},
		{"success: restarts the stream", "inject-success", func(tr *Transcript) {
			inTLS(tr)
			tr.InputRefused("restricted-xml: processing instructions are not allowed in XMPP (<?xml …?>)")
		}, byServer, []string{"acted-on-injected-data"}, Fail},
		{"success: answers in plaintext", "inject-success", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("s", 1, false, starttls)
			tr.TLSRequested()
			tr.In("<stream:stream>", 15, false, header)
			tr.TLSFailed("tls: first record does not look like a TLS handshake", "", "", true)
		}, byServer, []string{"acted-on-injected-data"}, Fail},
		{"success: closes instead of TLS", "inject-success", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("s", 1, false, starttls)
			tr.TLSRequested()
			tr.TLSFailed("EOF", "", "", false)
		}, "TLS handshake failed: EOF", []string{"refused-injected-data"}, Pass},
		{"success: closes after the header", "inject-success", inTLS, byClient, []string{"discarded-injected-data"}, Pass},
		{"success: cut by the server", "inject-success", inTLS, byServer, nil, Inconclusive},
		{"success: legacy stream", "inject-success", func(tr *Transcript) {
			upgraded(tr, "legacy")
			tr.In("h", 1, false, header)
			tr.In("q", 1, false, iq)
		}, byClient, nil, NotExercised},
		{"success: never asked for TLS", "inject-success", func(tr *Transcript) { opened(tr, "rfc6120") }, byClient, nil, NotExercised},
		// inject-second-proceed
		{"second proceed: logs in", "inject-second-proceed", func(tr *Transcript) {
			inTLS(tr)
			tr.In("a", 1, true, plain)
		}, byClient, []string{"discarded-injected-data"}, Pass},
		{"second proceed: a second handshake inside TLS", "inject-second-proceed", func(tr *Transcript) {
			inTLS(tr)
			tr.In("r", 1, false, refused)
		}, byServer, []string{"acted-on-injected-data"}, Fail},
		// inject-stream-header
		{"stream header: uses the injected mechanism", "inject-stream-header", func(tr *Transcript) {
			inTLS(tr)
			tr.In("a", 1, false, Input{Kind: "element", Name: "auth", Mechanism: InjectedMechanism, Injected: true})
		}, byClient, []string{FlagAcceptedInjectedData}, Fail},
		{"stream header: legacy, discarded", "inject-stream-header", func(tr *Transcript) {
			upgraded(tr, "legacy")
			tr.In("a", 1, true, plain)
		}, byClient, []string{"discarded-injected-data"}, Pass},
		// proceed-then-close
		{"close: completes TLS", "proceed-then-close", func(tr *Transcript) {
			inTLS(tr)
			tr.In("a", 1, true, plain)
		}, byClient, []string{"discarded-injected-data"}, Pass},
		{"close: answers the close in plaintext", "proceed-then-close", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("s", 1, false, starttls)
			tr.TLSRequested()
			tr.In("</stream:stream>", 16, false, Input{Kind: "close"})
			tr.TLSFailed("tls: first record does not look like a TLS handshake", "", "", true)
		}, "TLS handshake failed: tls: first record does not look like a TLS handshake", []string{"acted-on-injected-data"}, Fail},
		{"close: hangs up", "proceed-then-close", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("s", 1, false, starttls)
			tr.TLSRequested()
			tr.TLSFailed("EOF", "", "", false)
		}, "TLS handshake failed: EOF", []string{"stopped-after-injected-close"}, Pass},
		{"close: the server's handshake timeout", "proceed-then-close", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("s", 1, false, starttls)
			tr.TLSRequested()
			tr.TLSFailed("read tcp: i/o timeout", "", "", false)
		}, "TLS handshake failed: read tcp: i/o timeout", nil, Inconclusive},
		{"close: legacy stream", "proceed-then-close", func(tr *Transcript) { upgraded(tr, "legacy") }, byClient, nil, NotExercised},
		// starttls-late
		{"late: asks for the later STARTTLS", "starttls-late", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("s", 1, false, starttls)
		}, byClient, []string{"asked-for-later-starttls"}, Pass},
		{"late: closes", "starttls-late", func(tr *Transcript) { opened(tr, "rfc6120") }, byClient, []string{"aborted-on-strip"}, Pass},
		{"late: logs in in plaintext", "starttls-late", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("a", 1, true, plain)
			tr.In("s", 1, false, starttls)
		}, byClient, []string{FlagPlaintextCredentials, "continued-without-tls"}, Fail},
		{"late: cut by the server", "starttls-late", func(tr *Transcript) { opened(tr, "rfc6120") }, byServer, nil, Inconclusive},
		{"late: legacy stream", "starttls-late", func(tr *Transcript) {
			opened(tr, "legacy")
			tr.In("q", 1, false, iq)
		}, byClient, nil, NotExercised},
		// starttls-again
		{"again: logs in", "starttls-again", func(tr *Transcript) {
			inTLS(tr)
			tr.In("a", 1, true, plain)
			tr.In("s", 1, false, starttls) // after the verdict: changes nothing
		}, byClient, []string{"ignored-second-starttls-offer"}, Pass},
		{"again: asks twice", "starttls-again", func(tr *Transcript) {
			inTLS(tr)
			tr.In("s", 1, false, starttls)
		}, "policy-violation: TLS is already active on this stream", []string{"asked-for-starttls-twice"}, Fail},
		{"again: closes after the features", "starttls-again", inTLS, byClient, []string{"ignored-second-starttls-offer"}, Pass},
		{"again: cut by the server", "starttls-again", inTLS, byServer, nil, Inconclusive},
		{"again: hangs up right after the handshake", "starttls-again", func(tr *Transcript) { upgraded(tr, "rfc6120") }, byClient, nil, NotExercised},
		{"again: never asked for TLS", "starttls-again", func(tr *Transcript) { opened(tr, "rfc6120") }, byClient, nil, NotExercised},
		// required-missing
		{"required: asks all the same", "required-missing", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("s", 1, false, starttls)
		}, byClient, []string{"upgraded-without-required"}, Pass},
		{"required: logs in in plaintext", "required-missing", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("a", 1, true, plain)
		}, "policy-violation: TLS is required on this server", []string{FlagPlaintextCredentials, "continued-without-tls"}, Fail},
		{"required: a stanza in plaintext", "required-missing", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("q", 1, false, iq)
		}, byClient, []string{"continued-without-tls"}, Fail},
		{"required: cut by the server", "required-missing", func(tr *Transcript) { opened(tr, "rfc6120") }, byServer, nil, Inconclusive},
		{"required: closes", "required-missing", func(tr *Transcript) { opened(tr, "rfc6120") }, byClient, nil, NotExercised},
		{"required: legacy stream", "required-missing", func(tr *Transcript) {
			opened(tr, "legacy")
			tr.In("q", 1, false, iq)
		}, byClient, nil, NotExercised},
		// starttls-unanswered
		{"unanswered: gives up", "starttls-unanswered", func(tr *Transcript) {
			opened(tr, "legacy")
			tr.In("s", 1, false, starttls)
			tr.In("s", 1, false, starttls) // asking again is neither
		}, byClient, []string{"gave-up-on-unanswered-starttls"}, Pass},
		{"unanswered: goes on in plaintext", "starttls-unanswered", func(tr *Transcript) {
			opened(tr, "legacy")
			tr.In("s", 1, false, starttls)
			tr.In("q", 1, true, Input{Kind: "element", Name: "iq", Credentials: true})
		}, byClient, []string{FlagPlaintextCredentials, FlagFallbackToPlaintext}, Fail},
		{"unanswered: the server's negotiation timeout", "starttls-unanswered", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("s", 1, false, starttls)
		}, byServer, nil, Inconclusive},
		{"unanswered: a ClientHello without waiting", "starttls-unanswered", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("s", 1, false, starttls)
			tr.InputRefused("bad-format: text outside of any element")
		}, "bad-format: text outside of any element", nil, Inconclusive},
		{"unanswered: never asked", "starttls-unanswered", func(tr *Transcript) {
			opened(tr, "rfc6120")
			tr.In("q", 1, false, iq)
		}, byClient, nil, NotExercised},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBook(t, Options{Keep: 1})
			tr := b.Start("c1", "xmpp", "r", "10.0.0.1")
			p, ok := Lookup(c.profile)
			if !ok || p == nil {
				t.Fatalf("no profile %s", c.profile)
			}
			tr.Choose(p, ByListener)
			c.run(tr)
			tr.End(c.end)
			s := tr.Summary()
			if !slices.Equal(s.Flags, nonNil(c.want)) || s.Verdict != c.verdict {
				t.Errorf("flags %v verdict %s (%s), want %v %s", s.Flags, s.Verdict, s.Reason, c.want, c.verdict)
			}
			if s.Reason == "" {
				t.Error("the verdict has no reason")
			}
			for _, f := range s.Flags {
				if !slices.Contains(p.Pass, f) && !slices.Contains(p.Fail, f) && !slices.Contains(sharedFails, f) {
					t.Errorf("flag %s is neither among the profile's flags (%v, %v) nor shared", f, p.Pass, p.Fail)
				}
			}
			recs := tr.Records()
			for _, ch := range s.Checks {
				if len(ch.Evidence) == 0 || ch.Reason == "" {
					t.Errorf("check %+v has no evidence or reason", ch)
					continue
				}
				if r := recs[ch.Evidence[0]-1]; strings.HasPrefix(r.Data, "verdict") {
					t.Errorf("check %s rests on %q", ch.Flag, r.Data)
				}
			}
		})
	}
}

// TestNegotiationProfilesDefined: every profile of the two categories
// carries what a tester needs, is XMPP-only and bends only what its Effect
// says (no handshake, nothing after TLS that a late choice could take).
func TestNegotiationProfilesDefined(t *testing.T) {
	for _, name := range []string{"inject-success", "inject-second-proceed", "inject-stream-header", "proceed-then-close",
		"starttls-late", "starttls-again", "required-missing", "starttls-unanswered"} {
		p, ok := Lookup(name)
		if !ok || p == nil {
			t.Fatalf("no profile %s", name)
		}
		if p.Summary == "" || p.Correct == "" || p.Source == "" || p.PassIf == "" || p.FailIf == "" || len(p.Pass) == 0 || len(p.Fail) == 0 {
			t.Errorf("%s lacks a text or its flags: %+v", name, p)
		}
		if p.Category != CategoryInjection && p.Category != CategoryStripping {
			t.Errorf("%s is in category %q", name, p.Category)
		}
		if p.IRC || p.Effect.BendsHandshake() || p.Rules.Input == nil && p.Rules.TLS == nil {
			t.Errorf("%s: IRC %v, bends the handshake %v, judges no input", name, p.IRC, p.Effect.BendsHandshake())
		}
	}
}
