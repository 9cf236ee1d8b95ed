package lab

import (
	"slices"
	"strings"
)

// IRCInjection is the plaintext the inject-after-proceed profile sends on
// IRC right after 670, in the same write: a PING whose token only this
// injection carries. A client that obeys it answers
// PONG :X-JABBERD-INJECTED (in plaintext, where it reaches the handshake,
// or over TLS, from a buffer it should have discarded): that answer is
// how the server knows the client accepted injected data.
var IRCInjection = []byte("PING :" + InjectedMechanism + "\r\n")

// ircMechanisms are the SASL mechanism names an AUTHENTICATE line may
// start an exchange with; anything else but "+" and "*" is a payload.
var ircMechanisms = []string{
	"PLAIN", "EXTERNAL", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS",
	InjectedMechanism,
}

// IRCLine describes one line from an IRC client for the verdicts. command
// is upper case (as irc.ParseLine returns it). QUIT is a close, not a line:
// a client that quits on a stripped capability list did not go on without
// TLS. The line alone cannot tell whether NICK or USER completed
// registration: the connection, which knows, sets Capabilities on the ones
// that left it pending.
func IRCLine(command string, params []string) Input {
	param := func(i int) string {
		if i < len(params) {
			return params[i]
		}
		return ""
	}
	in := Input{Kind: "line"}
	switch command {
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
		case slices.Contains(ircMechanisms, up):
			in.Mechanism = up
			in.Injected = up == InjectedMechanism
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
		for _, p := range params {
			if strings.Contains(p, InjectedMechanism) {
				in.Injected = true
			}
		}
	case "QUIT":
		in.Kind = "close"
	}
	return in
}
