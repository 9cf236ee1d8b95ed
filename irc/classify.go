package irc

import (
	"slices"
	"strings"

	"jabberd/lab/wire"
)

// saslMechanismNames are the SASL mechanism names an AUTHENTICATE line may
// start an exchange with; anything else but "+" and "*" is a payload.
var saslMechanismNames = []string{
	"PLAIN", "EXTERNAL", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS",
	wire.InjectedMechanism,
}

// Classify says what one line from a client means for the lab's verdicts.
// QUIT is a close, not a line: a client that quits on a stripped
// capability list did not go on without TLS. The line alone cannot tell
// whether NICK or USER completed registration: the driver, which knows,
// sets Capabilities on the ones that left it pending.
func Classify(msg *Message) wire.Input {
	param := func(i int) string {
		if i < len(msg.Params) {
			return msg.Params[i]
		}
		return ""
	}
	in := wire.Input{Kind: "line", Name: msg.Command}
	switch msg.Command {
	case "STARTTLS":
		in.StartTLS = true
	case "CAP":
		in.Capabilities = true
	case "PASS":
		in.Credentials = param(0) != ""
	case "AUTHENTICATE":
		arg := param(0)
		switch up := strings.ToUpper(arg); {
		case arg == "" || arg == "+":
		case arg == "*":
			in.SASLAbort = true
		case slices.Contains(saslMechanismNames, up):
			in.Mechanism = up
			in.Injected = up == wire.InjectedMechanism
		default:
			in.Credentials = true
		}
	case "PRIVMSG", "NOTICE":
		// NickServ IDENTIFY <password>, which many clients send by
		// themselves, is a credential as much as PASS.
		if t := param(0); strings.EqualFold(t, "NickServ") || strings.EqualFold(t, "NS") {
			if w := strings.Fields(param(1)); len(w) > 1 && (strings.EqualFold(w[0], "IDENTIFY") || strings.EqualFold(w[0], "REGISTER")) {
				in.Credentials = true
			}
		}
	case "PING", "PONG":
		for _, p := range msg.Params {
			if strings.Contains(p, wire.InjectedMechanism) {
				in.Injected = true
			}
		}
	case "QUIT":
		in.Kind = "close"
	}
	return in
}
