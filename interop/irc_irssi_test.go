package interop

// irssi (Debian's package) against the IRC listener, driven through tmux
// on a socket of its own: its configuration names one server with
// STARTTLS (or direct TLS) and SASL, it connects at start-up, and the
// tests read what irssi itself printed (its window, captured from tmux)
// and what the server logged.
//
// irssi 1.4 reads CAP LS once, before STARTTLS, and requests after the
// handshake only what that list offered: sasl must be listed in plaintext
// for it to log in at all (IRCv3 tls + SASL over STARTTLS).

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/tlspolicy"
)

// irssiServer is how irssi reaches the server.
type irssiServer struct {
	port string
	// starttls is irssi's starttls for the plaintext port: "yes" (always
	// STARTTLS, even when tls is not offered), "no" (never), "" (its
	// default: when CAP LS offers tls); direct: use_tls, TLS at once.
	starttls  string
	direct    bool
	mechanism string // SASL mechanism, "" for none
	user      string // the account (PLAIN) and nick
	cert, key string // a client certificate (EXTERNAL)
}

// irssi is one irssi process in a tmux session.
type irssi struct {
	*pane
	home string
}

// startIrssi writes irssi's configuration for srv into a fresh home and
// runs irssi in a detached tmux session on a socket of its own (the
// cleanup ends that tmux server, and nothing else).
func startIrssi(t *testing.T, s *jabberd, srv irssiServer) *irssi {
	t.Helper()
	bin := needClient(t, "irssi", "irssi")
	home := t.TempDir()
	tlsKeys := "    use_tls = \"no\";\n"
	switch {
	case srv.direct:
		tlsKeys = "    use_tls = \"yes\";\n    starttls = \"no\";\n"
	case srv.starttls != "":
		tlsKeys += "    starttls = \"" + srv.starttls + "\";\n"
	}
	if srv.cert != "" {
		tlsKeys += fmt.Sprintf("    tls_cert = %q;\n    tls_pkey = %q;\n", srv.cert, srv.key)
	}
	sasl := ""
	switch srv.mechanism {
	case "PLAIN":
		sasl = fmt.Sprintf("    sasl_mechanism = \"PLAIN\";\n    sasl_username = %q;\n    sasl_password = %q;\n", srv.user, password(srv.user))
	case "EXTERNAL":
		sasl = "    sasl_mechanism = \"EXTERNAL\";\n"
	}
	conf := fmt.Sprintf(`servers = (
  {
    address = "localhost";
    chatnet = "lab";
    port = %q;
%s    tls_verify = "yes";
    tls_cafile = %q;
    autoconnect = "yes";
  }
);
chatnets = {
  lab = {
    type = "IRC";
%s  };
};
settings = {
  core = { real_name = "jabberd interop"; user_name = %q; nick = %q; };
  "fe-common/core" = { theme = "default"; };
};
`, srv.port, tlsKeys, s.caFile(), sasl, srv.user, srv.user)
	if err := os.WriteFile(filepath.Join(home, "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return &irssi{pane: startPane(t, "irssi", bin, "--home="+home, "-n", srv.user), home: home}
}

// quit types /quit into irssi.
func (r *irssi) quit() {
	r.t.Helper()
	r.keys("/quit interop done", "Enter")
}

// irssiJabberd runs jabberd with the IRC listener (STARTTLS optional) and
// the direct-TLS port; configure changes the configuration last.
func irssiJabberd(t *testing.T, configure func(*config.Config)) (*jabberd, string, string) {
	t.Helper()
	optional := tlspolicy.Optional
	s := startJabberd(t, serverOptions{irc: &optional, configure: func(cfg *config.Config) {
		cfg.IRC.TLSAddress = "127.0.0.1:0"
		cfg.Lab.Transcripts = 50
		if configure != nil {
			configure(cfg)
		}
	}})
	return s, portOf(s.set.IRC.Addr().String()), portOf(s.set.IRC.TLSAddr().String())
}

// checkIrssiLog asserts what the server logged of irssi's connection: TLS
// before any AUTHENTICATE or CAP REQ, a login with mechanism as account,
// registration over TLS.
func checkIrssiLog(t *testing.T, s *jabberd, mechanism, account string) {
	t.Helper()
	up := s.waitLog(t, 1, fields{"message": "TLS established", "proto": "irc"})[0]
	conn := up.Str("conn")
	auth := s.waitLog(t, 1, fields{"message": "authenticated", "proto": "irc", "conn": conn})[0]
	if auth.Str("mechanism") != mechanism || auth.Str("account") != account {
		t.Errorf("server log: %s, want %s as %s", auth, mechanism, account)
	}
	reg := s.waitLog(t, 1, fields{"message": "registered", "proto": "irc", "conn": conn})[0]
	if reg.Str("phase") != "tls" || reg.Str("account") != account {
		t.Errorf("server log: %s, want registered over TLS as %s", reg, account)
	}
	sawAuth := false
	for _, e := range s.entries(fields{"message": "received", "proto": "irc", "conn": conn}) {
		in := e.Str("in")
		if strings.HasPrefix(in, "AUTHENTICATE") || strings.HasPrefix(in, "CAP REQ") {
			sawAuth = sawAuth || in == "AUTHENTICATE "+mechanism
			if e.Str("phase") != "tls" {
				t.Errorf("server log: irssi sent %q in %s", in, e.Str("phase"))
			}
		}
	}
	if !sawAuth {
		t.Errorf("server log: irssi never sent AUTHENTICATE %s", mechanism)
	}
}

// TestIRCIrssiSTARTTLSExternal: irssi with alice's certificate and SASL
// EXTERNAL on the plaintext port: CAP LS 302 (sasl and tls listed),
// STARTTLS, 670, TLS, CAP REQ :sasl, AUTHENTICATE EXTERNAL inside TLS; it
// says SASL succeeded and shows the server's notices of the login.
func TestIRCIrssiSTARTTLSExternal(t *testing.T) {
	t.Parallel()
	s, plain, _ := irssiJabberd(t, nil)
	crt, key := s.clientCert("alice")
	r := startIrssi(t, s, irssiServer{port: plain, starttls: "yes", mechanism: "EXTERNAL", user: "alice", cert: crt, key: key})
	scr := r.waitFor(
		"Capabilities supported: ",
		"sasl=EXTERNAL,PLAIN",
		"Now attempting STARTTLS",
		"Protocol: TLSv1.3",
		"Capabilities removed: tls",
		"SASL authentication succeeded",
		"*** Your connection is encrypted: TLS 1.3",
		"*** Your client certificate (CN=alice@localhost) verified",
		"*** You are logged in as alice",
	)
	if strings.Contains(scr, "Cannot authenticate via SASL") {
		t.Errorf("irssi could not use SASL:\n%s", scr)
	}
	checkIrssiLog(t, s, "EXTERNAL", "alice")
	up := s.waitLog(t, 1, fields{"message": "TLS established", "proto": "irc"})[0]
	if v, _ := up["client_cert_verified"].(bool); !v {
		t.Errorf("server log: irssi's certificate did not verify: %s", up)
	}
	r.quit()
	s.waitLog(t, 1, fields{"message": "closing", "proto": "irc", "reason": "Quit: interop done"})
}

// TestIRCIrssiSTARTTLSPlain: irssi with SASL PLAIN and no certificate on
// the plaintext port: the password goes only inside TLS (cap-notify tells
// irssi that only PLAIN is usable now).
func TestIRCIrssiSTARTTLSPlain(t *testing.T) {
	t.Parallel()
	s, plain, _ := irssiJabberd(t, nil)
	r := startIrssi(t, s, irssiServer{port: plain, starttls: "yes", mechanism: "PLAIN", user: "bob"})
	r.waitFor(
		"Now attempting STARTTLS",
		"Capabilities removed: tls",
		"Capabilities now available: sasl=PLAIN",
		"SASL authentication succeeded",
		"*** Your connection is encrypted: TLS 1.3",
		"*** You are logged in as bob",
	)
	checkIrssiLog(t, s, "PLAIN", "bob")
	for _, e := range s.entries(fields{"message": "received", "proto": "irc", "in": "AUTHENTICATE [redacted]"}) {
		if e.Str("phase") != "tls" {
			t.Errorf("server log: the PLAIN payload came in %s", e.Str("phase"))
		}
	}
	r.quit()
	s.waitLog(t, 1, fields{"message": "closing", "proto": "irc", "reason": "Quit: interop done"})
}

// TestIRCIrssiDirectTLSExternal: irssi with use_tls on the direct-TLS port
// ([irc] tls_address) logs in with its certificate (SASL EXTERNAL).
func TestIRCIrssiDirectTLSExternal(t *testing.T) {
	t.Parallel()
	s, _, direct := irssiJabberd(t, nil)
	crt, key := s.clientCert("alice")
	r := startIrssi(t, s, irssiServer{port: direct, direct: true, mechanism: "EXTERNAL", user: "alice", cert: crt, key: key})
	scr := r.waitFor("Protocol: TLSv1.3", "SASL authentication succeeded", "*** You are logged in as alice")
	if strings.Contains(scr, "STARTTLS") {
		t.Errorf("irssi tried STARTTLS on the direct-TLS port:\n%s", scr)
	}
	checkIrssiLog(t, s, "EXTERNAL", "alice")
	up := s.waitLog(t, 1, fields{"message": "TLS established", "proto": "irc"})[0]
	if up.Str("local") != "" && up.Str("local") != s.set.IRC.TLSAddr().String() {
		t.Errorf("server log: TLS established on %s", up.Str("local"))
	}
	r.quit()
	s.waitLog(t, 1, fields{"message": "closing", "proto": "irc", "reason": "Quit: interop done"})
}

// TestIRCIrssiLab: irssi against the IRC lab profiles, on a listener
// playing each, judged by the server from what irssi did; the window
// shows irssi's side. Its starttls setting decides: "yes" sends STARTTLS
// whatever CAP LS says (and so upgrades anyway where sts and tls were
// stripped), the default upgrades only when tls is offered, "no" never.
func TestIRCIrssiLab(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, profile, starttls, mechanism string
		verdict, flag                      string
		window                             []string // what irssi shows
	}{
		{"sts-stripped, starttls yes", "sts-stripped", "yes", "", "pass", "upgraded-anyway",
			[]string{"Now attempting STARTTLS", "*** Your connection is encrypted: TLS 1.3"}},
		{"sts-stripped, default", "sts-stripped", "", "", "fail", "continued-without-tls",
			[]string{"*** Your connection is not encrypted"}},
		{"sasl-before-tls-irc, default with PLAIN", "sasl-before-tls-irc", "", "PLAIN", "pass", "ignored-plaintext-sasl",
			[]string{"Now attempting STARTTLS", "SASL authentication succeeded"}},
		{"sasl-before-tls-irc, starttls no with PLAIN", "sasl-before-tls-irc", "no", "PLAIN", "fail", "plaintext-credentials",
			[]string{"encryption required: PLAIN before TLS is a lab profile's bait"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, plain, _ := irssiJabberd(t, func(cfg *config.Config) { cfg.IRC.Profile = c.profile })
			r := startIrssi(t, s, irssiServer{port: plain, starttls: c.starttls, mechanism: c.mechanism, user: "carol"})
			r.waitFor(c.window...)
			r.quit()
			s.waitLog(t, 1, fields{"message": "closing", "proto": "irc"})
			id := s.waitLog(t, 1, fields{"message": "connected", "proto": "irc"})[0].Str("conn")
			tr, ok := s.set.Lab.Get(id)
			if !ok {
				t.Fatalf("no transcript %s", id)
			}
			select {
			case <-tr.Done():
			case <-time.After(logTimeout):
				t.Fatalf("transcript %s still live", id)
			}
			sum := tr.Summary()
			if sum.Profile != c.profile || sum.Verdict != c.verdict || !slices.Contains(sum.Flags, c.flag) {
				t.Errorf("irssi under %s: %s %v (%s), want %s with %s\n%s", c.profile, sum.Verdict, sum.Flags, sum.Reason, c.verdict, c.flag, tr.MarshalJSONL())
			}
			t.Logf("irssi under %s (starttls %q): %s — %s", c.profile, c.starttls, sum.Verdict, sum.Reason)
		})
	}
}
