package irc_test

import (
	"testing"

	"jabberd/irc"
	"jabberd/lab"
)

func TestClassifyInjectedAnswer(t *testing.T) {
	// The answer a fooled client gives is recognized.
	if in := irc.Classify(&irc.Message{Command: "PONG", Params: []string{lab.InjectedMechanism}}); !in.Injected {
		t.Errorf("PONG :%s is not Injected: %+v", lab.InjectedMechanism, in)
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		command string
		params  []string
		want    lab.Input
	}{
		{"STARTTLS", nil, lab.Input{Kind: "line", StartTLS: true}},
		{"CAP", []string{"LS", "302"}, lab.Input{Kind: "line", Capabilities: true}},
		{"CAP", []string{"END"}, lab.Input{Kind: "line", Capabilities: true}},
		{"PASS", []string{"hunter2"}, lab.Input{Kind: "line", Credentials: true}},
		{"PASS", []string{""}, lab.Input{Kind: "line"}},
		{"AUTHENTICATE", []string{"PLAIN"}, lab.Input{Kind: "line", Mechanism: "PLAIN"}},
		{"AUTHENTICATE", []string{"external"}, lab.Input{Kind: "line", Mechanism: "EXTERNAL"}},
		{"AUTHENTICATE", []string{"SCRAM-SHA-256"}, lab.Input{Kind: "line", Mechanism: "SCRAM-SHA-256"}},
		{"AUTHENTICATE", []string{lab.InjectedMechanism}, lab.Input{Kind: "line", Mechanism: lab.InjectedMechanism, Injected: true}},
		{"AUTHENTICATE", []string{"+"}, lab.Input{Kind: "line"}},
		{"AUTHENTICATE", []string{"*"}, lab.Input{Kind: "line", SASLAbort: true}},
		{"AUTHENTICATE", []string{"AGFsaWNlAGFsaWNlLXB3"}, lab.Input{Kind: "line", Credentials: true}},
		{"PRIVMSG", []string{"NickServ", "IDENTIFY hunter2"}, lab.Input{Kind: "line", Credentials: true}},
		{"PRIVMSG", []string{"#lab", "IDENTIFY hunter2"}, lab.Input{Kind: "line"}},
		{"PONG", []string{"localhost", lab.InjectedMechanism}, lab.Input{Kind: "line", Injected: true}},
		{"PING", []string{lab.InjectedMechanism}, lab.Input{Kind: "line", Injected: true}},
		{"PONG", []string{"localhost"}, lab.Input{Kind: "line"}},
		{"NICK", []string{"alice"}, lab.Input{Kind: "line"}},
		{"USER", []string{"alice", "0", "*", "Alice"}, lab.Input{Kind: "line"}},
		{"QUIT", []string{"bye"}, lab.Input{Kind: "close"}},
	} {
		c.want.Name = c.command // the command names the input in a verdict's words
		if got := irc.Classify(&irc.Message{Command: c.command, Params: c.params}); got != c.want {
			t.Errorf("Classify(%s %q) = %+v, want %+v", c.command, c.params, got, c.want)
		}
	}
}
