package interop

// What the console XMPP clients (profanity, poezio, mcabber; each in
// tmux, console_*_test.go) share: a slixmpp account that receives what
// the client sends, the warnings a client prints when the server lacks
// something, and the transcripts kept in testdata/console/.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startReceiver logs user in with slixmpp (testdata/slixmpp_client.py
// receive), waits until it is available and returns the run, which ends
// after the first message.
func startReceiver(t *testing.T, j *jabberd, user string) *run {
	t.Helper()
	needSlixmpp(t)
	recv := start(t, runOptions{}, append(slixmppArgs(j), "receive",
		"--jid", user+"@localhost", "--password", password(user), "--mech", "PLAIN")...)
	ready := recv.stdout.WaitFor(clientTimeout, func(s string) bool {
		return strings.Contains(s, `"event": "ready"`) || strings.Contains(s, `"event": "failed"`)
	})
	if !ready || !strings.Contains(recv.stdout.String(), `"event": "ready"`) {
		recv.cancel()
		recv.wait()
		t.Fatalf("slixmpp (%s) did not get online:\n%s", user, recv)
	}
	return recv
}

// assertGotMessage waits for the receiver to end and checks that user's
// slixmpp got exactly one message, body, from a resource of the bare JID
// from.
func assertGotMessage(t *testing.T, recv *run, user, from, body string) {
	t.Helper()
	if recv.wait(); recv.exitCode() != 0 {
		t.Fatalf("slixmpp (%s) did not receive a message (exit %d):\n%s", user, recv.exitCode(), recv)
	}
	events := parseSlixmpp(t, recv)
	// Available, its initial presence echoed, before "ready".
	assertOnline(t, recv, events, "receiver", assertSession(t, recv, events, "receiver", user+"@localhost"))
	msgs := find(events, "message", "receiver")
	if len(msgs) != 1 {
		t.Fatalf("%s received %d messages, want 1:\n%s", user, len(msgs), recv)
	}
	if msgs[0].Body != body {
		t.Errorf("%s received body %q, want %q", user, msgs[0].Body, body)
	}
	if !strings.HasPrefix(msgs[0].From, from+"/") {
		t.Errorf("%s received the message from %q, want %s/<resource>", user, msgs[0].From, from)
	}
}

// waitQuery waits until the server has read, from the session of jid (a
// full JID), an element that contains every one of parts (the server's
// debug log of what it received), and returns what it read.
func (j *jabberd) waitQuery(t *testing.T, jid string, parts ...string) string {
	t.Helper()
	e := j.log.WaitN(t, paneTimeout, 1, jid+" sending "+strings.Join(parts, " … "), func(e logEntry) bool {
		if !e.Has(fields{"message": "received", "jid": jid}) {
			return false
		}
		return containsAll(e.Str("in"), parts)
	})
	return e[0].Str("in")
}

// clientWarning is what a console client prints when the server lacks a
// feature, in the client's own words (found in its source or binary).
type clientWarning struct {
	feature string   // what the server offers so that it is not printed
	parts   []string // what one line the client printed holds
	// pending: the feature is not on main yet. The warning is reported
	// (t.Log) instead of failing the test; it becomes a warning() in the
	// commit that lands the feature, and the README lists the pending ones.
	pending bool
}

func warning(feature string, parts ...string) clientWarning {
	return clientWarning{feature: feature, parts: parts}
}

func pendingWarning(feature string, parts ...string) clientWarning {
	return clientWarning{feature: feature, parts: parts, pending: true}
}

// assertNoWarnings fails for each warning that one of shown (what the
// client printed: its window, its log files, by name) contains, and
// reports the pending ones it contains.
func assertNoWarnings(t *testing.T, client string, shown map[string]string, warnings []clientWarning) {
	t.Helper()
	for _, w := range warnings {
		for where, text := range shown {
			for l := range strings.Lines(text) {
				switch {
				case !containsAll(l, w.parts):
				case w.pending:
					t.Logf("%s still warns (%s, pending) in its %s: %s", client, w.feature, where, strings.TrimSpace(l))
				default:
					t.Errorf("%s warned (%s) in its %s: %s", client, w.feature, where, strings.TrimSpace(l))
				}
			}
		}
	}
}

// readClientFile is a file a client wrote (its log), "" when it wrote none.
func readClientFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

// transcriptEnv names the variable that makes the console tests write what
// each client showed to testdata/console/ (a reference to read and diff
// against when a client or the server changes, never asserted on).
const transcriptEnv = "JABBERD_WRITE_CONSOLE_TRANSCRIPTS"

var (
	clockRE    = regexp.MustCompile(`\b\d{2}:\d{2}(:\d{2})?\b`)
	trailingWS = regexp.MustCompile(`[ \t]+\n`)
)

// keepTranscript writes a client's window to testdata/console/NAME.txt
// when transcriptEnv is set: clock times as hh:mm, trailing blanks and
// empty lines dropped.
func keepTranscript(t *testing.T, name, screen string) {
	t.Helper()
	if os.Getenv(transcriptEnv) == "" {
		return
	}
	text := clockRE.ReplaceAllString(screen, "hh:mm")
	text = trailingWS.ReplaceAllString(text+"\n", "\n")
	var keep []string
	for l := range strings.Lines(text) {
		if strings.TrimSpace(l) != "" {
			keep = append(keep, l)
		}
	}
	path := filepath.Join("testdata", "console", name+".txt")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Join(keep, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// waitFileContains waits until a line of the file a client writes (its
// log) holds every one of parts.
func waitFileContains(t *testing.T, what, path string, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(paneTimeout)
	for {
		for l := range strings.Lines(readClientFile(t, path)) {
			if containsAll(l, parts) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s (%s) has no line with %q after %v:\n%s", what, path, parts, paneTimeout, readClientFile(t, path))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// nobody is the account a client that refuses to run as root (poezio)
// runs as when the tests run as root.
const nobody = 65534

// clientHome is a fresh home directory for a client. Under root it is made
// outside t.TempDir, whose parent directories only root may enter, so that
// nobody can own and use it.
func clientHome(t *testing.T, name string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "jabberd-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// chownToRunner gives dir and what it holds to nobody when the tests run
// as root (see runAsNobody).
func chownToRunner(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	err := filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, nobody, nobody)
	})
	if err != nil {
		t.Fatalf("chown %s to nobody: %v", dir, err)
	}
}

// runAsNobody is the command prefix that drops root for nobody (setpriv,
// from util-linux), nothing when the tests do not run as root.
func runAsNobody(t *testing.T) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	setpriv := needClient(t, "setpriv", "util-linux")
	return []string{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"}
}

// sayInRoom types text into the client's window of team@conference.localhost
// and waits until the client's log (a debug log of the stanzas it read)
// has the room's copy of it, from team@conference.localhost/nick, and its
// window shows line.
func (p *pane) sayInRoom(logName, logFile, nick, text, line string) {
	p.t.Helper()
	p.typeLine(text)
	waitFileContains(p.t, logName, logFile, "RECV: <message", `type="groupchat"`, `from="team@conference.localhost/`+nick+`"`, text)
	p.waitFor(line)
}
