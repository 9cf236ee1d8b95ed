package interop

// A console client (irssi, profanity, poezio, mcabber) in a detached tmux
// session on a tmux server of its own (tmux -L): the test types into its
// window and reads what the client itself shows there.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// paneTimeout bounds a wait for a client's window to show something. It
// is generous: a Python client starting on a loaded 2-core machine takes
// seconds.
const paneTimeout = 30 * time.Second

// pane is one client in a tmux session.
type pane struct {
	t          *testing.T
	name       string // the client, for messages
	bin        string // tmux
	socket     string // tmux -L
	session    string
	lastScreen string // what the window showed at the last look
}

var tmuxSockets atomic.Int64

// startPane runs argv (the client and its arguments, exec'd by tmux
// without a shell) in a detached 220x80 tmux session on a fresh tmux
// server; the cleanup ends that tmux server, and nothing else.
func startPane(t *testing.T, name string, argv ...string) *pane {
	t.Helper()
	tmux := needClient(t, "tmux", "tmux")
	p := &pane{t: t, name: name, bin: tmux, session: name,
		socket: fmt.Sprintf("jabberd-%s-%d-%d", name, os.Getpid(), tmuxSockets.Add(1))}
	args := append([]string{"new-session", "-d", "-s", name, "-x", "220", "-y", "80"}, argv...)
	if out, err := p.tmux(args...); err != nil {
		t.Fatalf("tmux new-session %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		_, _ = p.tmux("kill-server")
		if t.Failed() {
			t.Logf("%s's window at the last look:\n%s", name, p.lastScreen)
		}
	})
	return p
}

// tmux runs a tmux command on the test's own tmux server.
func (p *pane) tmux(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.bin, append([]string{"-L", p.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=screen")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// screen is the client's window, history included, wrapped lines joined.
func (p *pane) screen() string {
	out, err := p.tmux("capture-pane", "-p", "-J", "-S", "-2000", "-t", p.session)
	if err != nil {
		return "(tmux capture-pane: " + err.Error() + ")\n" + out
	}
	p.lastScreen = out
	return out
}

// waitFor waits until the window shows every one of texts, and returns
// the window.
func (p *pane) waitFor(texts ...string) string {
	p.t.Helper()
	return p.waitUntil(fmt.Sprintf("%q", texts), func(scr string) bool {
		for _, s := range texts {
			if !strings.Contains(scr, s) {
				return false
			}
		}
		return true
	})
}

// waitUntil waits until ok holds for the window, and returns the window.
func (p *pane) waitUntil(what string, ok func(screen string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(paneTimeout)
	for {
		scr := p.screen()
		if ok(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s's window does not show %s after %v:\n%s", p.name, what, paneTimeout, scr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// keys sends tmux key names (Enter, C-n…) or text to the window.
func (p *pane) keys(keys ...string) {
	p.t.Helper()
	if out, err := p.tmux(append([]string{"send-keys", "-t", p.session}, keys...)...); err != nil {
		p.t.Fatalf("tmux send-keys %q to %s: %v\n%s", keys, p.name, err, out)
	}
}

// typeLine types text literally (no key names) and, once the client
// shows it in its input line, Enter: a client that reads the keys in one
// go takes the Enter for a pasted newline (poezio does).
func (p *pane) typeLine(text string) {
	p.t.Helper()
	p.keys("-l", text)
	p.waitFor(text)
	p.keys("Enter")
}
