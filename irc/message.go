package irc

import (
	"errors"
	"strings"
)

// Line limits (RFC 1459 §2.3, IRCv3 message-tags). The 512 bytes of a
// message include its CRLF; tags have a budget of their own in front.
const (
	// MaxMessageBytes is the longest message without its tags, CRLF included.
	MaxMessageBytes = 512
	// MaxTagBytes is the longest tag section, its '@' and space included.
	MaxTagBytes = 8191
	// maxLineBytes bounds what the reader buffers for one line.
	maxLineBytes = MaxMessageBytes + MaxTagBytes
	// maxParams is the most parameters a message carries (RFC 1459 §2.3).
	maxParams = 15
)

// Errors of ParseLine. An empty line is silently ignored (RFC 1459 §2.3.1);
// the others are answered.
var (
	ErrEmptyLine  = errors.New("empty line")
	ErrNulByte    = errors.New("the line holds a NUL byte")
	ErrLineBreak  = errors.New("the line holds a CR or LF that does not end it")
	ErrNoCommand  = errors.New("the line has no command")
	ErrBadCommand = errors.New("the command is neither letters nor a three-digit numeric")
	ErrTooLong    = errors.New("the line is longer than 512 bytes")
)

// Message is one parsed IRC line. Tags are kept as sent (without the '@'):
// the server negotiates no tag capability and reads none.
type Message struct {
	Tags    string
	Source  string
	Command string // upper case
	Params  []string
}

// Param returns parameter i, or "" when there are fewer.
func (m *Message) Param(i int) string {
	if i < len(m.Params) {
		return m.Params[i]
	}
	return ""
}

// ParseLine parses one line without its line ending (CR LF or LF). It never
// modifies line.
func ParseLine(line []byte) (*Message, error) {
	switch {
	case strings.IndexByte(string(line), 0) >= 0:
		return nil, ErrNulByte
	case strings.ContainsAny(string(line), "\r\n"):
		// Relayed, it could end the line early at some client and let
		// the rest pass for a line from the server.
		return nil, ErrLineBreak
	}
	s := strings.TrimLeft(string(line), " ")
	if s == "" {
		return nil, ErrEmptyLine
	}
	m := &Message{}
	if s[0] == '@' {
		tags, rest, _ := strings.Cut(s[1:], " ")
		if len(tags)+2 > MaxTagBytes {
			return nil, ErrTooLong
		}
		m.Tags = tags
		s = strings.TrimLeft(rest, " ")
	}
	// CRLF is not part of line: the message proper may have 510 bytes.
	if len(s) > MaxMessageBytes-2 {
		return nil, ErrTooLong
	}
	if strings.HasPrefix(s, ":") {
		src, rest, _ := strings.Cut(s[1:], " ")
		m.Source = src
		s = strings.TrimLeft(rest, " ")
	}
	cmd, rest, _ := strings.Cut(s, " ")
	if cmd == "" {
		return nil, ErrNoCommand
	}
	if !validCommand(cmd) {
		return nil, ErrBadCommand
	}
	m.Command = strings.ToUpper(cmd)
	m.Params = parseParams(rest)
	return m, nil
}

// parseParams splits the parameters: middle ones end at a space (runs of
// spaces count as one); a ':' starts the trailing one, which takes the rest
// of the line. The fifteenth takes the rest too, as RFC 1459 has it.
func parseParams(s string) []string {
	var params []string
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return params
		}
		if s[0] == ':' || len(params) == maxParams-1 {
			return append(params, strings.TrimPrefix(s, ":"))
		}
		p, rest, _ := strings.Cut(s, " ")
		params = append(params, p)
		s = rest
	}
}

func validCommand(cmd string) bool {
	if len(cmd) == 3 && isDigit(cmd[0]) && isDigit(cmd[1]) && isDigit(cmd[2]) {
		return true
	}
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// String formats the message as a line without CRLF. The last parameter
// gets a ':' only where it must (empty, holding a space, or starting with
// ':'); a middle parameter that could not stand as one is a caller's bug and
// is written as the trailing one, dropping those after it.
func (m *Message) String() string {
	return format(m.Source, m.Command, m.Params, false)
}

// format writes a line; trailing forces the ':' on the last parameter, as
// servers write free text.
func format(source, command string, params []string, trailing bool) string {
	var b strings.Builder
	if source != "" {
		b.WriteByte(':')
		b.WriteString(source)
		b.WriteByte(' ')
	}
	b.WriteString(command)
	for i, p := range params {
		b.WriteByte(' ')
		last := i == len(params)-1
		if last && (trailing || p == "" || strings.HasPrefix(p, ":") || strings.IndexByte(p, ' ') >= 0) ||
			!last && (p == "" || strings.HasPrefix(p, ":") || strings.IndexByte(p, ' ') >= 0) {
			b.WriteByte(':')
			b.WriteString(p)
			break
		}
		b.WriteString(p)
	}
	return b.String()
}
