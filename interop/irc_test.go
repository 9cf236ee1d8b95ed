package interop

// The IRC listener ([irc], IRCv3 tls) against real clients: openssl
// s_client -starttls irc, and python3-irc (Debian's "irc" library) driven by
// testdata/irc_client.py, which upgrades with STARTTLS, optionally logs in
// with SASL EXTERNAL, and lets the library register and chat over TLS.

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"jabberd/tlspolicy"
)

// ircServer is jabberd with its IRC listener on loopback.
type ircServer struct {
	*jabberd
	irc string // the IRC listener's address
}

// startIRC runs jabberd as startJabberd does, with [irc] enabled on
// 127.0.0.1:0 with the given TLS policy.
func startIRC(t *testing.T, policy tlspolicy.Policy) *ircServer {
	t.Helper()
	j := startJabberd(t, serverOptions{irc: &policy})
	if j.set.IRC == nil {
		t.Fatalf("no IRC listener although irc.enabled = true")
	}
	return &ircServer{jabberd: j, irc: j.set.IRC.Addr().String()}
}

// opensslIRC runs s_client's IRC STARTTLS (it sends STARTTLS and waits for
// 670) against the IRC listener, verifying against the lab CA.
func opensslIRC(t *testing.T, s *ircServer, extra ...string) *run {
	t.Helper()
	bin := needClient(t, "openssl", "openssl")
	args := []string{bin, "s_client", "-starttls", "irc", "-connect", s.irc,
		"-CAfile", s.caFile(), "-verify_return_error", "-verify_hostname", "localhost"}
	return runClient(t, runOptions{stdin: "Q\n"}, append(args, extra...)...)
}

func TestIRCOpenSSLStartTLS(t *testing.T) {
	t.Parallel()
	s := startIRC(t, tlspolicy.Optional)
	crt, key := s.clientCert("alice")
	r := opensslIRC(t, s, "-cert", crt, "-key", key)
	assertOpenSSLVerified(t, r)
	up := s.waitLog(t, 1, fields{"message": "TLS established", "proto": "irc"})[0]
	if got := up.Str("client_cert"); got != "CN=alice@localhost" {
		t.Errorf("server log: client_cert = %q: %s", got, up)
	}
	if v, _ := up["client_cert_verified"].(bool); !v {
		t.Errorf("server log: client_cert_verified is not true: %s", up)
	}
	if accts := up.Strs("client_cert_accounts"); !slices.Equal(accts, []string{"alice"}) {
		t.Errorf("server log: client_cert_accounts = %q: %s", accts, up)
	}
	if failed := s.entries(fields{"message": "TLS upgrade failed"}); len(failed) > 0 {
		t.Errorf("server log: TLS upgrade failed: %v", failed)
	}
}

// TestIRCOpenSSLStartTLSDisabled: on a listener without TLS the 421 says
// STARTTLS, which s_client reads as "not supported" and stops.
func TestIRCOpenSSLStartTLSDisabled(t *testing.T) {
	t.Parallel()
	s := startIRC(t, tlspolicy.Disabled)
	r := opensslIRC(t, s)
	if r.exitCode() == 0 {
		t.Errorf("s_client succeeded against a listener without TLS:\n%s", r)
	}
	if out := r.stdout.String() + r.stderr.String(); !strings.Contains(out, "STARTTLS not supported") {
		t.Errorf("s_client did not report STARTTLS as not supported:\n%s", r)
	}
	s.waitLog(t, 1, fields{"message": "STARTTLS refused", "reason": "STARTTLS is disabled on this listener"})
}

// needPythonIRC checks that Debian's python3 can import the irc library.
func needPythonIRC(t *testing.T) string {
	t.Helper()
	return needPython(t, "import irc.client; print('.'.join(map(str, irc.client.VERSION)))", "python3-irc")
}

// ircEvent is one line the script printed.
type ircEvent struct {
	Event   string   `json:"event"`
	Who     string   `json:"who"`
	Caps    []string `json:"caps"`
	Version string   `json:"version"`
	Numeric string   `json:"numeric"`
	Nick    string   `json:"nick"`
	Source  string   `json:"source"`
	Target  string   `json:"target"`
	Text    string   `json:"text"`
	Error   string   `json:"error"`
}

func (e ircEvent) is(event, who string) bool { return e.Event == event && e.Who == who }

// TestIRCPythonChat: python3-irc over STARTTLS. alice (receiver) shows her
// lab certificate and logs in with SASL EXTERNAL; bob (sender) has none.
// Both register over TLS, join #lab, and bob's messages to the channel and
// to alice arrive.
func TestIRCPythonChat(t *testing.T) {
	t.Parallel()
	version := needPythonIRC(t)
	s := startIRC(t, tlspolicy.Optional)
	script, _ := filepath.Abs(filepath.Join("testdata", "irc_client.py"))
	crt, key := s.clientCert("alice")
	const body = "hello alice, over STARTTLS ünïcödé"
	r := runClient(t, runOptions{}, python, script, "--server", s.irc, "--ca", s.caFile(), "--timeout", "20",
		"chat", "--receiver", "alice", "--receiver-cert", crt, "--receiver-key", key, "--sender", "bob", "--body", body)
	var events []ircEvent
	for line := range strings.Lines(r.stdout.String()) {
		var e ircEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("irc_client.py printed a line that is not JSON (%v): %q\n%s", err, line, r)
		}
		events = append(events, e)
	}
	if r.exitCode() != 0 {
		t.Fatalf("python3-irc %s chat scenario failed (exit %d):\n%s", version, r.exitCode(), r)
	}
	has := func(pred func(ircEvent) bool) bool { return slices.ContainsFunc(events, pred) }
	for _, who := range []string{"receiver", "sender"} {
		if !has(func(e ircEvent) bool { return e.is("cap_ls", who) && slices.Contains(e.Caps, "tls") }) {
			t.Errorf("%s: CAP LS in plaintext did not list tls:\n%s", who, r)
		}
		if !has(func(e ircEvent) bool { return e.is("tls", who) && strings.HasPrefix(e.Version, "TLSv1.") }) {
			t.Errorf("%s: no TLS after STARTTLS:\n%s", who, r)
		}
		if !has(func(e ircEvent) bool { return e.is("welcome", who) }) {
			t.Errorf("%s: not welcomed:\n%s", who, r)
		}
	}
	if !has(func(e ircEvent) bool {
		return e.is("cap_ls_tls", "receiver") && slices.Contains(e.Caps, "sasl=EXTERNAL,PLAIN") && !slices.Contains(e.Caps, "tls")
	}) {
		t.Errorf("receiver: CAP LS over TLS should list sasl=EXTERNAL,PLAIN and no tls:\n%s", r)
	}
	if !has(func(e ircEvent) bool { return e.is("sasl", "receiver") && e.Numeric == "903" }) {
		t.Errorf("receiver: SASL EXTERNAL did not succeed:\n%s", r)
	}
	if !has(func(e ircEvent) bool {
		return e.is("pubmsg", "receiver") && e.Source == "bob!bob@127.0.0.1" && e.Target == "#lab" && e.Text == body
	}) {
		t.Errorf("receiver: the channel message did not arrive:\n%s", r)
	}
	if !has(func(e ircEvent) bool {
		return e.is("privmsg", "receiver") && e.Source == "bob!bob@127.0.0.1" && e.Text == "private: "+body
	}) {
		t.Errorf("receiver: the private message did not arrive:\n%s", r)
	}

	if n := len(s.waitLog(t, 2, fields{"message": "TLS established", "proto": "irc"})); n != 2 {
		t.Errorf("server log: %d TLS upgrades, want 2", n)
	}
	for _, e := range s.waitLog(t, 2, fields{"message": "registered", "proto": "irc"}) {
		if e.Str("phase") != "tls" {
			t.Errorf("server log: registered outside TLS: %s", e)
		}
	}
	auth := s.waitLog(t, 1, fields{"message": "authenticated", "proto": "irc"})
	if auth[0].Str("mechanism") != "EXTERNAL" || auth[0].Str("account") != "alice" {
		t.Errorf("server log: %s", auth[0])
	}
	if failed := s.entries(fields{"message": "TLS upgrade failed"}); len(failed) > 0 {
		t.Errorf("server log: TLS upgrade failed: %v", failed)
	}
}
