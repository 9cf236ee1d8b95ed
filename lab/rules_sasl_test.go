package lab

import (
	"slices"
	"strings"
	"testing"

	"jabberd/sasl"
)

// The client's side of the SASL exchanges, as the transcript records them
// (payloads redacted, as stanza.Redacted writes them).
func saslAuth(tr *Transcript, mech string) {
	tr.In("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='"+mech+"'>[redacted]</auth>", 80, true,
		Input{Kind: "element", Name: "auth", Mechanism: mech, Credentials: mech == "PLAIN"})
}

func saslResponse(tr *Transcript) {
	tr.In("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>[redacted]</response>", 120, true,
		Input{Kind: "element", Name: "response", Credentials: true})
}

func saslAbort(tr *Transcript) {
	tr.In("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", 50, false, Input{Kind: "element", Name: "abort", SASLAbort: true})
}

func saslHeader(tr *Transcript) {
	tr.In("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>", 100, false, Input{Kind: "header"})
}

func saslIQ(tr *Transcript, id string) {
	tr.In("<iq type='set' id='"+id+"'/>", 30, false, Input{Kind: "element", Name: "iq"})
}

// scramLogin is a whole SCRAM exchange: auth, the client-final message,
// the outcome.
func scramLogin(mech string, ok bool, reason string) func(*Transcript) {
	return func(tr *Transcript) {
		saslAuth(tr, mech)
		saslResponse(tr)
		tr.Auth(mech, "alice@localhost", ok, reason)
	}
}

func steps(fs ...func(*Transcript)) func(*Transcript) {
	return func(tr *Transcript) {
		for _, f := range fs {
			f(tr)
		}
	}
}

const (
	downgrade = "not-authorized: " + sasl.TextDowngrade
	wrongPw   = "not-authorized: " + sasl.TextWrongCredentials
)

var (
	yRefused = func(tr *Transcript) {
		saslAuth(tr, "SCRAM-SHA-256")
		tr.Auth("SCRAM-SHA-256", "", false, downgrade)
	}
	plainLogin = func(tr *Transcript) {
		saslAuth(tr, "PLAIN")
		tr.Auth("PLAIN", "alice@localhost", true, "")
	}
	externalLogin = func(tr *Transcript) {
		saslAuth(tr, "EXTERNAL")
		tr.Auth("EXTERNAL", "alice@localhost", true, "")
	}
	scramStarted = func(tr *Transcript) { saslAuth(tr, "SCRAM-SHA-256") }
	restartBind  = func(tr *Transcript) { saslHeader(tr); saslIQ(tr, "bind") }
	closeTag     = func(tr *Transcript) { tr.In("</stream:stream>", 16, false, Input{Kind: "close"}) }
)

type saslCase struct {
	name, profile string
	run           func(tr *Transcript)
	end           string
	want          []string
	verdict       string
}

func saslCases() []saslCase {
	const byClient, byServer = "client disconnected", "idle timeout"
	return []saslCase{
		// plus-stripped
		{"plus-stripped: y", "plus-stripped", yRefused, byClient, []string{"kept-channel-binding"}, Pass},
		{"plus-stripped: -PLUS anyway", "plus-stripped", scramLogin("SCRAM-SHA-256-PLUS", true, ""), byClient, []string{"kept-channel-binding"}, Pass},
		{"plus-stripped: n", "plus-stripped", scramLogin("SCRAM-SHA-256", true, ""), byClient, []string{"accepted-plus-stripping"}, Fail},
		{"plus-stripped: y, then PLAIN", "plus-stripped", steps(yRefused, plainLogin), byClient, []string{"kept-channel-binding", "accepted-plus-stripping"}, Fail},
		{"plus-stripped: PLAIN, wrong password", "plus-stripped", func(tr *Transcript) {
			saslAuth(tr, "PLAIN")
			tr.Auth("PLAIN", "", false, wrongPw)
		}, byClient, []string{"accepted-plus-stripping"}, Fail},
		{"plus-stripped: n, cut by the server", "plus-stripped", scramStarted, byServer, nil, Inconclusive},
		{"plus-stripped: n, wrong password", "plus-stripped", scramLogin("SCRAM-SHA-256", false, wrongPw), byClient, nil, NotExercised},
		{"plus-stripped: EXTERNAL", "plus-stripped", externalLogin, byClient, nil, NotExercised},
		{"plus-stripped: never logged in", "plus-stripped", saslHeader, byClient, nil, NotExercised},
		// plus-stripped-xep0474
		{"xep0474: abort after h", "plus-stripped-xep0474", steps(scramStarted, saslAbort), byClient, []string{"detected-downgrade"}, Pass},
		{"xep0474: close after h", "plus-stripped-xep0474", scramStarted, byClient, []string{"detected-downgrade"}, Pass},
		{"xep0474: y", "plus-stripped-xep0474", yRefused, byClient, []string{"kept-channel-binding"}, Pass},
		{"xep0474: proof sent, logged in", "plus-stripped-xep0474", scramLogin("SCRAM-SHA-256", true, ""), byClient, []string{"ignored-downgrade-protection"}, Fail},
		{"xep0474: proof sent, wrong password", "plus-stripped-xep0474", scramLogin("SCRAM-SHA-1", false, wrongPw), byClient, []string{"ignored-downgrade-protection"}, Fail},
		{"xep0474: abort, then PLAIN", "plus-stripped-xep0474", steps(scramStarted, saslAbort, plainLogin), byClient, []string{"detected-downgrade", "accepted-plus-stripping"}, Fail},
		{"xep0474: cut by the server", "plus-stripped-xep0474", scramStarted, byServer, nil, Inconclusive},
		{"xep0474: EXTERNAL", "plus-stripped-xep0474", externalLogin, byClient, nil, NotExercised},
		// scram-bad-server-signature
		{"bad signature: closes", "scram-bad-server-signature", scramLogin("SCRAM-SHA-256", true, ""), byClient, []string{"rejected-bad-server-signature"}, Pass},
		{"bad signature: close where the header belongs", "scram-bad-server-signature", steps(scramLogin("SCRAM-SHA-1-PLUS", true, ""), func(tr *Transcript) {
			tr.InputRefused("not-well-formed: closing tag </stream:stream> before the stream was opened")
		}), byServer, []string{"rejected-bad-server-signature"}, Pass},
		{"bad signature: restarts", "scram-bad-server-signature", steps(scramLogin("SCRAM-SHA-256", true, ""), restartBind), byClient, []string{"accepted-bad-server-signature"}, Fail},
		{"bad signature: legacy stanza", "scram-bad-server-signature", steps(scramLogin("SCRAM-SHA-256", true, ""), func(tr *Transcript) { saslIQ(tr, "session") }), byClient, []string{"accepted-bad-server-signature"}, Fail},
		{"bad signature: cut by the server", "scram-bad-server-signature", scramLogin("SCRAM-SHA-256", true, ""), byServer, nil, Inconclusive},
		{"bad signature: PLAIN", "scram-bad-server-signature", steps(plainLogin, restartBind), byClient, nil, NotExercised},
		{"bad signature: wrong password", "scram-bad-server-signature", scramLogin("SCRAM-SHA-256", false, wrongPw), byClient, nil, NotExercised},
		// success-without-final
		{"no final: closes", "success-without-final", steps(scramLogin("SCRAM-SHA-256", true, ""), closeTag), byClient, []string{"rejected-missing-server-final"}, Pass},
		{"no final: restarts", "success-without-final", steps(scramLogin("SCRAM-SHA-256", true, ""), restartBind), byClient, []string{"accepted-missing-server-final"}, Fail},
		{"no final: cut by the server", "success-without-final", scramLogin("SCRAM-SHA-256", true, ""), byServer, nil, Inconclusive},
		{"no final: EXTERNAL", "success-without-final", steps(externalLogin, restartBind), byClient, nil, NotExercised},
		// external-wrong-identity
		{"wrong identity: closes", "external-wrong-identity", steps(externalLogin, restartBind, closeTag), byClient, []string{"refused-wrong-identity"}, Pass},
		{"wrong identity: hangs up", "external-wrong-identity", steps(externalLogin, restartBind), byClient, []string{"refused-wrong-identity"}, Pass},
		{"wrong identity: presence", "external-wrong-identity", steps(externalLogin, restartBind, func(tr *Transcript) {
			tr.In("<presence/>", 11, false, Input{Kind: "element", Name: "presence"})
		}), byClient, []string{"accepted-wrong-identity"}, Fail},
		{"wrong identity: session iq", "external-wrong-identity", steps(externalLogin, restartBind, func(tr *Transcript) { saslIQ(tr, "sess") }), byClient, []string{"accepted-wrong-identity"}, Fail},
		{"wrong identity: cut by the server", "external-wrong-identity", steps(externalLogin, restartBind), byServer, nil, Inconclusive},
		{"wrong identity: never bound", "external-wrong-identity", steps(externalLogin, saslHeader), byClient, nil, NotExercised},
		{"wrong identity: SCRAM", "external-wrong-identity", steps(scramLogin("SCRAM-SHA-256", true, ""), restartBind, closeTag), byClient, nil, NotExercised},
	}
}

// TestSASLVerdicts draws the checks and the verdict of each SASL downgrade
// profile from the calls a connection makes: for clients that do what a
// correct client does, clients that fall for it, connections the server
// cut at the decisive moment, and clients that never met the profile.
func TestSASLVerdicts(t *testing.T) {
	seen := map[string]bool{}
	cases, ran := saslCases(), 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ran++
			b := newBook(t, Options{Keep: 1})
			tr := b.Start("c1", "xmpp", "r", "10.0.0.1")
			p, _ := Lookup(c.profile)
			if p == nil || p.Category != CategorySASL {
				t.Fatalf("profile %q: %+v", c.profile, p)
			}
			tr.Choose(p, ByListener)
			tr.TLSRequested()
			tr.TLSEstablished("TLS 1.3", "c", "", "none")
			c.run(tr)
			tr.End(c.end)
			s := tr.Summary()
			if !slices.Equal(s.Flags, nonNil(c.want)) || s.Verdict != c.verdict {
				t.Errorf("flags %v verdict %s (%s), want %v %s", s.Flags, s.Verdict, s.Reason, c.want, c.verdict)
			}
			if s.Reason == "" {
				t.Error("the verdict has no reason")
			}
			recs := tr.Records()
			for _, ch := range s.Checks {
				seen[c.profile+" "+ch.Flag] = true
				if !slices.Contains(p.Pass, ch.Flag) && !slices.Contains(p.Fail, ch.Flag) {
					t.Errorf("check %s is not among the profile's flags %v %v", ch.Flag, p.Pass, p.Fail)
				}
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
	// Every flag a profile declares is drawn by some case.
	if ran < len(cases) {
		return // a -run pattern chose some
	}
	for _, p := range saslProfiles[1:] {
		for _, f := range slices.Concat(p.Pass, p.Fail) {
			if !seen[p.Name+" "+f] {
				t.Errorf("%s: no case draws %s", p.Name, f)
			}
		}
	}
}

// TestSASLRecordsRead: the rules read tags as every wire form writes them.
func TestSASLRecordsRead(t *testing.T) {
	for _, c := range []struct{ data, local, mech string }{
		{"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>x</auth>", "auth", "SCRAM-SHA-1"},
		{`<sasl:auth mechanism="PLAIN">[redacted]</sasl:auth>`, "auth", "PLAIN"},
		{"<auth mechanism='EXTERNAL'/>", "auth", "EXTERNAL"},
		{"<?xml version='1.0'?><stream:stream to='localhost'>", "stream", ""},
		{"</stream:stream>", "/stream", ""},
		{"<iq type='set'>", "iq", ""},
		{"<presence/>", "presence", ""},
		{"plain text", "", ""},
	} {
		if got := tagLocal(c.data); got != c.local {
			t.Errorf("tagLocal(%q) = %q, want %q", c.data, got, c.local)
		}
		if got := attrValue(c.data, "mechanism"); got != c.mech {
			t.Errorf("attrValue(%q) = %q, want %q", c.data, got, c.mech)
		}
	}
}
