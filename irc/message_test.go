package irc

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		in      string
		tags    string
		source  string
		command string
		params  []string
		err     error
	}{
		{in: "NICK alice", command: "NICK", params: []string{"alice"}},
		{in: "nick alice", command: "NICK", params: []string{"alice"}},
		{in: "USER a 0 * :Alice Liddell", command: "USER", params: []string{"a", "0", "*", "Alice Liddell"}},
		{in: "PRIVMSG #lab ::-) smile", command: "PRIVMSG", params: []string{"#lab", ":-) smile"}},
		{in: "PRIVMSG bob :", command: "PRIVMSG", params: []string{"bob", ""}},
		{in: "JOIN   #a   #b  ", command: "JOIN", params: []string{"#a", "#b"}},
		{in: "   PING x", command: "PING", params: []string{"x"}},
		{in: "STARTTLS", command: "STARTTLS"},
		{in: ":alice!a@h PRIVMSG bob :hi", source: "alice!a@h", command: "PRIVMSG", params: []string{"bob", "hi"}},
		{in: "@a=1;b PING :t", tags: "a=1;b", command: "PING", params: []string{"t"}},
		{in: "@a=1 :src 001 x :y", tags: "a=1", source: "src", command: "001", params: []string{"x", "y"}},
		{in: "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", command: "CMD",
			params: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15 16"}},
		{in: "", err: ErrEmptyLine},
		{in: "    ", err: ErrEmptyLine},
		{in: ":src", err: ErrNoCommand},
		{in: "@tags", err: ErrNoCommand},
		{in: "PI-NG", err: ErrBadCommand},
		{in: "12", err: ErrBadCommand},
		{in: "PING a\x00b", err: ErrNulByte},
		{in: "PRIVMSG bob :hi\r:evil!e@h PRIVMSG bob :fake", err: ErrLineBreak},
		{in: "PRIVMSG x :" + strings.Repeat("a", 499), command: "PRIVMSG", params: []string{"x", strings.Repeat("a", 499)}},
		{in: "PRIVMSG x :" + strings.Repeat("a", 500), err: ErrTooLong},
		{in: "@" + strings.Repeat("t", MaxTagBytes-2) + " PING x", tags: strings.Repeat("t", MaxTagBytes-2), command: "PING", params: []string{"x"}},
		{in: "@" + strings.Repeat("t", MaxTagBytes-1) + " PING x", err: ErrTooLong},
	} {
		m, err := ParseLine([]byte(tc.in))
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ParseLine(%.40q) error %v, want %v", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseLine(%.40q): %v", tc.in, err)
			continue
		}
		if m.Tags != tc.tags || m.Source != tc.source || m.Command != tc.command || !slices.Equal(m.Params, tc.params) {
			t.Errorf("ParseLine(%.40q) = %+v, want tags %q source %q command %q params %q", tc.in, m, tc.tags, tc.source, tc.command, tc.params)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		source, command string
		params          []string
		trailing        bool
		want            string
	}{
		{"", "PING", []string{"x"}, false, "PING x"},
		{"", "PING", []string{"x"}, true, "PING :x"},
		{"s", "PRIVMSG", []string{"#c", "two words"}, false, ":s PRIVMSG #c :two words"},
		{"s", "PRIVMSG", []string{"#c", ":colon"}, false, ":s PRIVMSG #c ::colon"},
		{"s", "PRIVMSG", []string{"#c", ""}, false, ":s PRIVMSG #c :"},
		{"", "CMD", []string{"a b", "c"}, false, "CMD :a b"}, // a bad middle parameter becomes the last
		{"", "QUIT", nil, true, "QUIT"},
	} {
		if got := format(tc.source, tc.command, tc.params, tc.trailing); got != tc.want {
			t.Errorf("format(%q, %q, %q, %v) = %q, want %q", tc.source, tc.command, tc.params, tc.trailing, got, tc.want)
		}
	}
}
