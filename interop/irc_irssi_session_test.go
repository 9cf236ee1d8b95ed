package interop

// irssi's whole session (irc_irssi_test.go starts it in tmux): the commands
// typed into its window, each once the server has read the one before,
// and what irssi logged of them (every level, every window).

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIRCIrssiSession: irssi upgrades with STARTTLS and runs the session:
// join, topic, who, whois, names, list, away and back, a private and a
// channel message, part, quit. Its log (/log open … ALL) shows the answers
// and no "Unknown command" (how irssi shows a 421); what irssi asks on its
// own after a JOIN (the channel's modes, its ban list, WHO) is answered
// too; the peer gets both messages.
func TestIRCIrssiSession(t *testing.T) {
	t.Parallel()
	s, plain, _ := irssiJabberd(t, nil)
	dave := dialPeer(t, s.set.IRC.Addr().String(), "dave")
	// SASL EXTERNAL with alice's certificate; the nick is frank's.
	crt, key := s.clientCert("alice")
	r := startIrssi(t, s, irssiServer{port: plain, starttls: "yes", user: "frank", mechanism: "EXTERNAL", cert: crt, key: key})
	r.waitFor("*** Your connection is encrypted: TLS 1.3")
	r.waitFor("SASL authentication succeeded")
	logFile := filepath.Join(t.TempDir(), "irssi.log")
	type step struct {
		typed string
		read  []string // what the server reads in answer, in order
	}
	steps := []step{
		{"/log open " + logFile + " ALL", nil},
		// irssi syncs the channel it joined: modes, WHOX, bans.
		{"/join #lab", []string{"JOIN #lab", "MODE #lab", "WHO #lab %tcuhnfdar,743", "MODE #lab b"}},
		{"/topic irssi was here", []string{"TOPIC #lab :irssi was here"}},
		{"/who #lab", []string{"WHO #lab"}},
		{"/whois dave", []string{"WHOIS dave"}},
		{"/names #lab", nil},             // irssi lists the channel it keeps
		{"/list -yes", []string{"LIST"}}, // without -yes irssi asks first
		{"/away lunch", []string{"AWAY :lunch"}},
		{"/away", []string{"AWAY"}},
		{"/msg dave private from irssi", []string{"PRIVMSG dave :private from irssi"}},
		{"/msg #lab channel from irssi", []string{"PRIVMSG #lab :channel from irssi"}},
		{"/part #lab bye", []string{"PART #lab :bye"}},
	}
	for i, st := range steps {
		if out, err := r.tmux("send-keys", "-t", "irssi", st.typed, "Enter"); err != nil {
			t.Fatalf("tmux send-keys %q: %v\n%s", st.typed, err, out)
		}
		if i == 1 {
			dave.joinAfter(s, "#lab")
		}
		for _, read := range st.read { // irssi may add a space ("LIST ")
			s.log.WaitN(t, logTimeout, 1, "irssi's "+read, func(e logEntry) bool {
				return e.Has(fields{"message": "received", "proto": "irc", "nick": "frank"}) && strings.TrimSpace(e.Str("in")) == read
			})
		}
		time.Sleep(300 * time.Millisecond) // its answer reaches irssi's log
	}
	dave.waitFor(":frank!frank@127.0.0.1 PRIVMSG dave :private from irssi")
	dave.waitFor(":frank!frank@127.0.0.1 PRIVMSG #lab :channel from irssi")
	dave.waitFor(":frank!frank@127.0.0.1 PART #lab :bye")
	r.quit()
	s.waitLog(t, 1, fields{"message": "closing", "proto": "irc", "reason": "Quit: interop done"})

	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("irssi's log: %v", err)
	}
	log := string(b)
	for l := range strings.Lines(log) {
		if strings.Contains(l, "Unknown command") || strings.Contains(l, " 421 ") {
			t.Errorf("irssi's log: %s", strings.TrimSpace(l))
		}
	}
	for _, want := range []string{
		"frank changed the topic of #lab to: irssi was here",
		"End of /WHO list",
		"dave [dave@127.0.0.1]",
		"End of WHOIS",
		"You have been marked as being away",
		"You are no longer marked as being away",
		"private from irssi",
		"channel from irssi",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("irssi's log does not show %q:\n%s", want, log)
		}
	}
	noUnknownCommands(t, s)
}
