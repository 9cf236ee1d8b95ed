package irc

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseLine: the parser never panics, and what it accepts is well
// formed and survives formatting and parsing again unchanged.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"NICK alice", "USER a 0 * :Alice Liddell", ":src PRIVMSG #c ::-)",
		"@a=1;b=\\s :s 001 x :y", "CAP REQ :sasl tls", "AUTHENTICATE +",
		"STARTTLS", "PRIVMSG bob :hi\r:evil PRIVMSG bob :x", "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "PING a\x00b",
		"   ", ":", "@", "PRIVMSG x :" + strings.Repeat("a", 500),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		orig := string(line)
		m, err := ParseLine(line)
		if string(line) != orig {
			t.Fatalf("ParseLine modified its input")
		}
		if err != nil {
			return
		}
		if m.Command == "" || m.Command != strings.ToUpper(m.Command) {
			t.Fatalf("command %q", m.Command)
		}
		if len(m.Params) > maxParams {
			t.Fatalf("%d params", len(m.Params))
		}
		for i, p := range m.Params {
			if strings.ContainsAny(p, "\x00\r\n") {
				t.Fatalf("param %d holds NUL, CR or LF: %q", i, p)
			}
			if i < len(m.Params)-1 && (p == "" || strings.HasPrefix(p, ":") || strings.Contains(p, " ")) {
				t.Fatalf("middle param %d %q could not stand as one", i, p)
			}
		}
		again, err := ParseLine([]byte(m.String()))
		if err != nil {
			// Only the length may differ: a trailing ":" can be added.
			if len(m.String()) <= MaxMessageBytes-2 {
				t.Fatalf("reparse of %q: %v", m.String(), err)
			}
			return
		}
		if again.Source != m.Source || again.Command != m.Command || !slices.Equal(again.Params, m.Params) {
			t.Fatalf("round trip changed the message:\n %#v\n %#v", m, again)
		}
	})
}
