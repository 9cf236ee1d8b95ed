package interop

// Whole IRC sessions with real clients: the commands a client sends in its
// normal flow (join, topic, who, whois, names, list, away, a private and a
// channel message, part, quit) must get answers, never 421 Unknown command.
// python3-irc (testdata/irc_session.py) connects with STARTTLS, weechat
// (weechat-headless, Debian's package) to the direct-TLS port; each test
// asserts from the client's own output (its received lines, its log files)
// and from what a plain peer on the network got.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/tlspolicy"
)

// ircPeer is a plain client on the network (plaintext, no TLS) that the
// session's client talks to: it records every line it is sent.
type ircPeer struct {
	t    *testing.T
	conn net.Conn
	mu   sync.Mutex
	got  []string
}

// dialPeer registers nick in plaintext and starts recording.
func dialPeer(t *testing.T, addr, nick string) *ircPeer {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p := &ircPeer{t: t, conn: c}
	go func() {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			p.mu.Lock()
			p.got = append(p.got, strings.TrimRight(line, "\r\n"))
			p.mu.Unlock()
		}
	}()
	p.send("NICK "+nick, "USER "+nick+" 0 * :plain peer")
	p.waitFor(" 001 " + nick + " ")
	return p
}

func (p *ircPeer) send(lines ...string) {
	p.t.Helper()
	_ = p.conn.SetWriteDeadline(time.Now().Add(logTimeout))
	if _, err := p.conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n")); err != nil {
		p.t.Fatalf("peer: %v", err)
	}
}

// waitFor waits until the peer was sent a line containing text.
func (p *ircPeer) waitFor(text string) string {
	p.t.Helper()
	deadline := time.Now().Add(clientTimeout)
	for {
		p.mu.Lock()
		i := slices.IndexFunc(p.got, func(l string) bool { return strings.Contains(l, text) })
		var line string
		if i >= 0 {
			line = p.got[i]
		}
		got := strings.Join(p.got, "\n")
		p.mu.Unlock()
		if i >= 0 {
			return line
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the peer was never sent %q; it got:\n%s", text, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// joinAfter makes the peer join channel once the client's JOIN of it is
// done, so that the client is the channel's operator (and may set its
// topic on the +t channel). Done is the end of the NAMES the server sent
// the client for it: a JOIN merely received may still be behind the
// peer's, which would then make the channel and be its operator. The
// client, started just before, gets its own bound (clientTimeout) to get
// that far: a loaded machine starts weechat slowly.
func (p *ircPeer) joinAfter(s *jabberd, channel string) {
	p.t.Helper()
	s.log.WaitN(p.t, clientTimeout, 1, "the end of NAMES "+channel+" sent to the client that joined it first", func(e logEntry) bool {
		out := e.Str("out")
		return e.Str("message") == "sent" && e.Str("proto") == "irc" && strings.Contains(out, " 366 ") && strings.Contains(out, " "+channel+" ")
	})
	p.send("JOIN " + channel)
}

// noUnknownCommands asserts that the server told no IRC connection 421.
func noUnknownCommands(t *testing.T, s *jabberd) {
	t.Helper()
	if !s.debug {
		return
	}
	for _, e := range s.entries(fields{"message": "sent", "proto": "irc"}) {
		if w := strings.Fields(e.Str("out")); len(w) > 1 && w[1] == "421" {
			t.Errorf("server log: %s was told 421: %s", e.Str("nick"), e.Str("out"))
		}
	}
}

// TestIRCPythonSession: python3-irc upgrades with STARTTLS, logs in with
// SASL EXTERNAL (alice's certificate), registers and
// runs the whole session (irc_session.py: JOIN, TOPIC set and asked, MODE,
// WHO, WHOIS, NAMES, LIST, AWAY and back, USERHOST, ISON, LUSERS, MOTD,
// WHOWAS, PRIVMSG to a user and to the channel, PART, QUIT), each command
// after the answer to the one before. Not one of the lines it received is
// a 421; the peer gets both messages.
func TestIRCPythonSession(t *testing.T) {
	t.Parallel()
	version := needPythonIRC(t)
	s := startIRC(t, tlspolicy.Optional)
	dave := dialPeer(t, s.irc, "dave")
	script, _ := filepath.Abs(filepath.Join("testdata", "irc_session.py"))
	crt, key := s.clientCert("alice")
	r := start(t, runOptions{}, python, script, "--server", s.irc, "--ca", s.caFile(),
		"--timeout", "25", "--nick", "erin", "--peer", "dave", "--cert", crt, "--key", key)
	dave.joinAfter(s.jabberd, "#lab")
	r.wait()

	var received, steps []string
	sasl := ""
	for line := range strings.Lines(r.stdout.String()) {
		var e struct{ Event, Line, Name, Numeric string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("irc_session.py printed a line that is not JSON (%v): %q\n%s", err, line, r)
		}
		switch e.Event {
		case "received":
			received = append(received, e.Line)
		case "step":
			steps = append(steps, e.Name)
		case "sasl":
			sasl = e.Numeric
		}
	}
	if sasl != "903" {
		t.Errorf("python3-irc's SASL EXTERNAL over TLS ended with %q, want 903:\n%s", sasl, r)
	}
	if r.exitCode() != 0 {
		t.Fatalf("python3-irc %s session failed (exit %d):\n%s", version, r.exitCode(), r)
	}
	numeric := func(l string) string {
		if w := strings.Fields(l); len(w) > 1 {
			return w[1]
		}
		return ""
	}
	for _, l := range received {
		if numeric(l) == "421" {
			t.Errorf("python3-irc received 421: %s", l)
		}
	}
	// Each step's answer, as python3-irc received it.
	for _, want := range []string{
		"353", "366", "TOPIC", "332", "333", "324", "329", "352", "315", "311", "318", "322", "323",
		"306", "305", "302", "303", "251", "266", "422", "406", "369", "PONG", "PART",
	} {
		if !slices.ContainsFunc(received, func(l string) bool { return numeric(l) == want }) {
			t.Errorf("python3-irc never received %s:\n%s", want, r)
		}
	}
	if want := []string{"join", "topic", "topic?", "mode", "who", "whois", "names", "list", "away", "back",
		"userhost", "ison", "lusers", "motd", "whowas", "privmsg", "part", "quit"}; !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
	if l := received[slices.IndexFunc(received, func(l string) bool { return numeric(l) == "352" })]; !strings.Contains(l, " erin H@ :0 python3-irc session") {
		t.Errorf("WHO #lab: %s (erin created #lab: its operator)", l)
	}
	dave.waitFor(":erin!erin@127.0.0.1 PRIVMSG dave :private from python3-irc")
	dave.waitFor(":erin!erin@127.0.0.1 PRIVMSG #lab :channel from python3-irc")
	dave.waitFor(":erin!erin@127.0.0.1 PART #lab :bye")
	up := s.waitLog(t, 1, fields{"message": "registered", "proto": "irc", "nick": "erin"})[0]
	if up.Str("phase") != "tls" {
		t.Errorf("server log: erin registered in %s, want tls", up.Str("phase"))
	}
	noUnknownCommands(t, s.jabberd)
}

// weechatCommands are what weechat runs once connected (its server's
// command option): the session, a second apart, then /quit, which ends
// weechat itself.
var weechatCommands = []string{
	"/join #lab",
	"/topic #lab weechat was here",
	"/who #lab",
	"/whois dave",
	"/names #lab",
	"/list",
	"/away lunch",
	"/away",
	"/msg dave private from weechat",
	"/msg #lab channel from weechat",
	"/part #lab bye",
	"/quit session done",
}

// TestIRCWeechatSession: weechat-headless connects to the direct-TLS port
// ([irc] tls_address; weechat has no STARTTLS), verifying the server
// against the lab CA, logs in with SASL PLAIN, and runs the session from its command line. Its own
// log files show every answer and no "Unknown command" (how weechat shows
// a 421); the peer gets both messages.
func TestIRCWeechatSession(t *testing.T) {
	t.Parallel()
	bin := needClient(t, "weechat-headless", "weechat-headless")
	optional := tlspolicy.Optional
	s := startJabberd(t, serverOptions{irc: &optional, configure: func(cfg *config.Config) {
		cfg.IRC.TLSAddress = "127.0.0.1:0"
	}})
	direct := s.set.IRC.TLSAddr().String()
	dave := dialPeer(t, s.set.IRC.Addr().String(), "dave")

	dir := t.TempDir()
	var session []string
	for i, c := range weechatCommands {
		if i > 0 {
			c = fmt.Sprintf("/wait %d %s", i, c)
		}
		session = append(session, strings.ReplaceAll(c, ";", `\;`))
	}
	// -r runs these at start-up; a ; inside an option's value is \;.
	setup := []string{
		"/set weechat.network.gnutls_ca_user " + s.caFile(),
		"/server add lab " + strings.Replace(direct, ":", "/", 1) + " -ssl",
		"/set irc.server.lab.ssl_verify on",
		"/set irc.server.lab.autoreconnect off",
		// No anti-flood queue: each command leaves when it is run.
		"/set irc.server.lab.anti_flood_prio_high 0",
		"/set irc.server.lab.anti_flood_prio_low 0",
		// SASL PLAIN over TLS, as carol's account.
		"/set irc.server.lab.sasl_mechanism plain",
		"/set irc.server.lab.sasl_username carol",
		"/set irc.server.lab.sasl_password " + password("carol"),
		"/set irc.server.lab.nicks carol",
		"/set irc.server.lab.username carol",
		`/set irc.server.lab.realname "Carol Weechat"`,
		`/set irc.server.lab.command "` + strings.Join(session, `\;`) + `"`,
		"/connect lab",
	}
	r := start(t, runOptions{}, bin, "--dir", dir, "-r", strings.Join(setup, ";"))
	dave.joinAfter(s, "#lab")
	r.wait()
	if r.exitCode() != 0 {
		t.Errorf("weechat-headless exited %d:\n%s", r.exitCode(), r)
	}

	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, "logs", name))
		if err != nil {
			t.Errorf("weechat's log: %v", err)
		}
		return string(b)
	}
	server, channel := read("irc.server.lab.weechatlog"), read("irc.lab.#lab.weechatlog")
	logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*.weechatlog"))
	for _, f := range logs {
		b, _ := os.ReadFile(f)
		for l := range strings.Lines(string(b)) {
			if strings.Contains(l, "Unknown command") || strings.Contains(l, " 421 ") {
				t.Errorf("weechat's %s: %s", filepath.Base(f), strings.TrimSpace(l))
			}
		}
	}
	for _, want := range []string{
		"gnutls: peer's certificate is trusted",
		"SASL authentication successful",
		"client capability, enabled: away-notify multi-prefix server-time",
		"[#lab] carol (carol@127.0.0.1) H@ 0 (Carol Weechat)",
		"[#lab] End of WHO list",
		"[dave] (dave@127.0.0.1): plain peer",
		"[dave] End of /WHOIS list",
		"#lab(2): weechat was here",
		"End of /LIST",
		"You have been marked as being away",
		"You are no longer marked as being away",
		"Closing link: 127.0.0.1 (Quit: session done)",
	} {
		if !strings.Contains(server, want) {
			t.Errorf("weechat's server buffer does not show %q:\n%s", want, server)
		}
	}
	for _, want := range []string{
		"carol has changed topic for #lab to \"weechat was here\"",
		"dave (dave@127.0.0.1) has joined #lab",
		"Nicks #lab: [@carol dave]",
		"channel from weechat",
		"carol (carol@127.0.0.1) has left #lab (bye)",
	} {
		if !strings.Contains(channel, want) {
			t.Errorf("weechat's #lab buffer does not show %q:\n%s", want, channel)
		}
	}
	dave.waitFor(":carol!carol@127.0.0.1 PRIVMSG dave :private from weechat")
	dave.waitFor(":carol!carol@127.0.0.1 PRIVMSG #lab :channel from weechat")
	// weechat asks on its own after a JOIN: the channel's modes and a WHOX.
	if s.debug {
		for _, in := range []string{"MODE #lab", "WHO #lab %cuhsnfdar"} {
			s.waitLog(t, 1, fields{"message": "received", "proto": "irc", "nick": "carol", "in": in})
		}
	}
	up := s.waitLog(t, 1, fields{"message": "TLS established", "proto": "irc"})[0]
	if up.Str("local") != "" && up.Str("local") != direct {
		t.Errorf("server log: weechat's TLS on %s, want the direct-TLS port %s", up.Str("local"), direct)
	}
	noUnknownCommands(t, s)
}
