package lab_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"jabberd/irc"
	"jabberd/lab"
)

// TestIRCVerdicts runs IRC connections through the verdicts as irc's
// connection reports them: NICK and USER that leave registration pending
// come as Capabilities (harmless), the line that completes it does not.
func TestIRCVerdicts(t *testing.T) {
	p := func(name string) *lab.Profile {
		pr, ok := lab.Lookup(name)
		if !ok || pr == nil || !pr.IRC {
			t.Fatalf("no IRC profile %s", name)
		}
		return pr
	}
	line := func(cmd string, params ...string) lab.Input {
		return irc.Classify(&irc.Message{Command: cmd, Params: params})
	}
	pending := func(cmd string, params ...string) lab.Input {
		in := irc.Classify(&irc.Message{Command: cmd, Params: params})
		in.Capabilities = true
		return in
	}
	cases := []struct {
		name, profile string
		run           func(tr *lab.Transcript)
		want          []string
	}{
		{"strip: quits after CAP LS", "strip-starttls", func(tr *lab.Transcript) {
			tr.In("CAP LS 302", 12, false, line("CAP", "LS", "302"))
			tr.In("NICK a", 8, false, pending("NICK", "a"))
			tr.In("USER a 0 * a", 14, false, pending("USER", "a", "0", "*", "a"))
			tr.In("QUIT", 6, false, line("QUIT"))
		}, []string{"aborted-on-strip"}},
		{"strip: registers", "strip-starttls", func(tr *lab.Transcript) {
			tr.In("CAP LS 302", 12, false, line("CAP", "LS", "302"))
			tr.In("NICK a", 8, false, pending("NICK", "a"))
			tr.In("CAP END", 9, false, lab.Input{Kind: "line"}) // it completed registration
		}, []string{"continued-without-tls"}},
		{"strip: PASS in the clear", "strip-starttls", func(tr *lab.Transcript) {
			tr.In("PASS [redacted]", 14, true, line("PASS", "hunter2"))
		}, []string{lab.FlagPlaintextCredentials, "continued-without-tls"}},
		{"fail: stops", "fail-starttls", func(tr *lab.Transcript) {
			tr.In("STARTTLS", 10, false, line("STARTTLS"))
			tr.TLSRefused("lab")
			tr.In("QUIT", 6, false, line("QUIT"))
		}, []string{"stopped-after-refusal"}},
		{"fail: registers on the same connection", "fail-starttls", func(tr *lab.Transcript) {
			tr.In("STARTTLS", 10, false, line("STARTTLS"))
			tr.TLSRefused("lab")
			tr.In("CAP END", 9, false, line("CAP", "END"))
			tr.In("NICK a", 8, false, pending("NICK", "a"))
			tr.In("USER a 0 * a", 14, false, line("USER", "a", "0", "*", "a"))
		}, []string{lab.FlagFallbackToPlaintext}},
		{"forged numerics: registers over TLS", "inject-numerics", func(tr *lab.Transcript) {
			tr.In("STARTTLS", 10, false, line("STARTTLS"))
			tr.TLSEstablished("TLS 1.3", "c", "", "none")
			unregistered := pending("NICK", "a")
			unregistered.Unregistered = true
			tr.In("NICK a", 8, false, unregistered)
			tr.In("USER a 0 * a", 14, false, line("USER", "a", "0", "*", "a")) // completes registration
			tr.In("JOIN #lab", 11, false, line("JOIN", "#lab"))
		}, []string{"discarded-injected-data"}},
		{"forged numerics: joins before the welcome", "inject-numerics", func(tr *lab.Transcript) {
			tr.In("STARTTLS", 10, false, line("STARTTLS"))
			tr.TLSEstablished("TLS 1.3", "c", "", "none")
			join := line("JOIN", "#lab")
			join.Unregistered = true
			tr.In("JOIN #lab", 11, false, join)
		}, []string{"acted-on-injected-data"}},
		{"forged numerics: answered in the handshake", "inject-numerics", func(tr *lab.Transcript) {
			tr.In("STARTTLS", 10, false, line("STARTTLS"))
			tr.In("JOIN #lab", 11, false, line("JOIN", "#lab"))
			tr.TLSFailed("tls: first record does not look like a TLS handshake", "", "", true)
		}, []string{"acted-on-injected-data"}},
		{"inject: discarded", "inject-after-proceed", func(tr *lab.Transcript) {
			tr.In("STARTTLS", 10, false, line("STARTTLS"))
			tr.TLSEstablished("TLS 1.3", "c", "", "none")
			tr.In("NICK a", 8, false, pending("NICK", "a"))
		}, []string{"discarded-injected-data"}},
		{"inject: PONG over TLS", "inject-after-proceed", func(tr *lab.Transcript) {
			tr.In("STARTTLS", 10, false, line("STARTTLS"))
			tr.TLSEstablished("TLS 1.3", "c", "", "none")
			tr.In("PONG :X-JABBERD-INJECTED", 26, false, line("PONG", lab.InjectedMechanism))
		}, []string{lab.FlagAcceptedInjectedData}},
		{"inject: PONG in the handshake", "inject-after-proceed", func(tr *lab.Transcript) {
			tr.In("STARTTLS", 10, false, line("STARTTLS"))
			tr.In("PONG :X-JABBERD-INJECTED", 26, false, line("PONG", lab.InjectedMechanism))
			tr.TLSFailed("tls: first record does not look like a TLS handshake", "", "", true)
		}, []string{lab.FlagAcceptedInjectedData, "acted-on-injected-data"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := lab.NewRecorder(lab.Options{Keep: 1}, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			tr := b.Start("i1", "irc", "10.0.0.1:1", "10.0.0.1")
			tr.SetDialect("irc")
			tr.Choose(p(c.profile), lab.ByListener)
			c.run(tr)
			tr.End("Client Quit")
			if got := tr.Summary().Flags; !slices.Equal(got, c.want) {
				t.Errorf("flags %v, want %v", got, c.want)
			}
		})
	}
}

// TestIRCFallbackAcrossConnections: after 691 on a per-profile port, a new
// plaintext connection from the same address to that port that pipelines NICK and USER before STARTTLS is
// not a fallback; one that registers without STARTTLS is.
func TestIRCFallbackAcrossConnections(t *testing.T) {
	b, err := lab.NewRecorder(lab.Options{Keep: 10}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	open := func(id, remote string) *lab.Transcript {
		return b.Open(lab.Origin{ID: id, Listener: "irc", Local: "127.0.0.1:5401", Remote: remote, IP: "10.0.0.1", Dedicated: true})
	}
	first := open("i1", "10.0.0.1:1")
	first.TLSRefused("lab")
	first.End("closed")

	retry := open("i2", "10.0.0.1:2")
	retry.In("CAP LS 302", 12, false, irc.Classify(&irc.Message{Command: "CAP", Params: []string{"LS", "302"}}))
	nick := irc.Classify(&irc.Message{Command: "NICK", Params: []string{"a"}})
	nick.Capabilities = true // registration pending
	retry.In("NICK a", 8, false, nick)
	retry.In("STARTTLS", 10, false, irc.Classify(&irc.Message{Command: "STARTTLS", Params: nil}))
	retry.End("closed")

	again := open("i3", "10.0.0.1:3")
	again.In("NICK a", 8, false, nick)
	again.In("USER a 0 * a", 14, false, irc.Classify(&irc.Message{Command: "USER", Params: strings.Fields("a 0 * a")})) // registered
	again.End("closed")

	if f := retry.Summary().Flags; slices.Contains(f, lab.FlagFallbackToPlaintext) {
		t.Errorf("a retry with STARTTLS was flagged: %v", f)
	}
	if f := again.Summary().Flags; !slices.Contains(f, lab.FlagFallbackToPlaintext) {
		t.Errorf("a plaintext registration after 691 was not flagged: %v", f)
	}
}
