package irc

import (
	"strings"
	"testing"
)

func TestRedactLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"PASS hunter2", "PASS [redacted]"},
		{"pass :hunter2 with spaces", "pass [redacted]"},
		{"@t=1 :me!u@h PASS hunter2", "@t=1 :me!u@h PASS [redacted]"},
		{"PASS hunter2\x00", "PASS [redacted]"},
		{"AUTHENTICATE PLAIN", "AUTHENTICATE PLAIN"},
		{"AUTHENTICATE external", "AUTHENTICATE external"},
		{"AUTHENTICATE +", "AUTHENTICATE +"},
		{"AUTHENTICATE *", "AUTHENTICATE *"},
		{"AUTHENTICATE AGFsaWNlAGFsaWNlLXB3", "AUTHENTICATE [redacted]"},
		{"AUTHENTICATE QUJD", "AUTHENTICATE [redacted]"},
		{"NICK alice", "NICK alice"},
		{"PRIVMSG bob :PASS is not a command here", "PRIVMSG bob :PASS is not a command here"},
		{"PRIVMSG NickServ :IDENTIFY hunter2", "PRIVMSG NickServ :[redacted]"},
		{"privmsg ns :identify alice hunter2", "privmsg ns :[redacted]"},
		{"PRIVMSG NickServ :help", "PRIVMSG NickServ :help"},
	} {
		got := redactLine([]byte(tc.in))
		if got != tc.want {
			t.Errorf("redactLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "hunter2") || strings.Contains(got, "AGFsaWNl") {
			t.Errorf("redactLine(%q) leaks a secret: %q", tc.in, got)
		}
	}
}
