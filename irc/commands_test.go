package irc

import (
	"strings"
	"testing"
	"time"
)

// TestCommandsNeverPanic sends every command of the table with no
// parameter and with assorted ones, before and after registration, on and
// off a channel: no handler may index past what it was given.
func TestCommandsNeverPanic(t *testing.T) {
	args := [][]string{
		nil, {""}, {"*"}, {"#lab"}, {"bob"}, {"#lab", ""}, {"#lab", "+"}, {"#lab", "+b-b+k-k+l-l+o-o+v-v"},
		{"#lab", "bob"}, {"bob", "#lab"}, {"0", "o%tcuihsnfdlaor,999"}, {"bob,,alice", "#lab,#x"},
		{"#lab", "+ovbkl", "bob", "bob", "m", "k", "3"}, {"alice", "+i-i+x"}, {"#lab", ":x", ":y"},
		{strings.Repeat("#", 400)},
	}
	for _, registered := range []bool{false, true} {
		net := NewNetwork(func() time.Time { return time.Unix(1700000000, 0) })
		cfg := &Config{ServerName: "localhost", Network: "jabberd", Net: net}
		bob := NewMachine(cfg, &inbox{}, "10.0.0.2")
		for _, l := range []string{"NICK bob", "USER bob 0 * :Bob", "JOIN #lab", "AWAY :away"} {
			bob.Handle(LineEvent{Line: []byte(l)})
		}
		m := NewMachine(cfg, &inbox{}, "10.0.0.1")
		if registered {
			for _, l := range []string{"NICK alice", "USER alice 0 * :Alice", "JOIN #lab"} {
				m.Handle(LineEvent{Line: []byte(l)})
			}
		}
		for name := range commands {
			if name == "QUIT" || name == "STARTTLS" {
				continue
			}
			for _, a := range args {
				msg := &Message{Command: name, Params: a}
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("registered=%v: %s %q panicked: %v", registered, name, a, r)
						}
					}()
					m.onLine(msg, nil)
				}()
				if m.State() == Closed {
					m = NewMachine(cfg, &inbox{}, "10.0.0.1")
				}
			}
		}
	}
}
