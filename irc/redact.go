package irc

import (
	"slices"
	"strings"

	"jabberd/sasl"
)

// redacted stands in the debug log for what must never be logged.
const redacted = "[redacted]"

// redactLine returns a client line for the debug log with the PASS
// argument and AUTHENTICATE payloads replaced. It reads the command itself
// rather than trusting ParseLine, so that a line the parser refuses (a NUL
// byte, a bad command) is redacted all the same.
func redactLine(line []byte) string {
	s := string(line)
	rest := strings.TrimLeft(s, " ")
	head := len(s) - len(rest)
	for strings.HasPrefix(rest, "@") || strings.HasPrefix(rest, ":") {
		_, after, ok := strings.Cut(rest, " ")
		if !ok {
			return s
		}
		trimmed := strings.TrimLeft(after, " ")
		head += len(rest) - len(trimmed)
		rest = trimmed
	}
	cmd, args, _ := strings.Cut(rest, " ")
	head += len(cmd)
	switch strings.ToUpper(cmd) {
	case "PASS":
		return s[:head] + " " + redacted
	case "PRIVMSG", "NOTICE":
		// "PRIVMSG NickServ :IDENTIFY <password>", which many clients
		// send by themselves: the whole text goes.
		target, text, _ := strings.Cut(strings.TrimSpace(args), " ")
		if strings.EqualFold(target, "NickServ") || strings.EqualFold(target, "NS") {
			if w := strings.Fields(strings.TrimPrefix(text, ":")); len(w) > 0 &&
				(strings.EqualFold(w[0], "IDENTIFY") || strings.EqualFold(w[0], "REGISTER") || strings.EqualFold(w[0], "GHOST")) {
				return s[:head] + " " + target + " :" + redacted
			}
		}
	case "AUTHENTICATE":
		arg := strings.TrimPrefix(strings.TrimSpace(args), ":")
		if arg == "+" || arg == "*" || slices.Contains(sasl.KnownMechanisms, strings.ToUpper(arg)) {
			return s
		}
		return s[:head] + " " + redacted
	}
	return s
}
