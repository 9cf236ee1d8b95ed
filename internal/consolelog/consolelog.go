// Package consolelog writes zerolog's JSON events as the lines of
// zerolog.ConsoleWriter without colours (log.format = "console" to a file, a
// pipe or the journal), at a fraction of its cost. ConsoleWriter decodes
// every event into a map with encoding/json and formats each part through
// fmt: 35 µs and 81 allocations a line on the test machine, and a login
// logs eight lines at the default level, which made a quarter of a login's
// CPU. The lines are the same byte for byte (consolelog_test.go compares
// them); an event of a shape this writer does not read (a nested object or
// array, a caller, a timestamp that is a number) is left to ConsoleWriter.
package consolelog

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Writer is an io.Writer for zerolog.New.
type Writer struct {
	out        io.Writer
	timeFormat string
	slow       zerolog.ConsoleWriter
	bufs       sync.Pool // *line
}

// New writes to out with times formatted as timeFormat (local time).
func New(out io.Writer, timeFormat string) *Writer {
	return &Writer{out: out, timeFormat: timeFormat,
		slow: zerolog.ConsoleWriter{Out: out, TimeFormat: timeFormat, NoColor: true}}
}

// line is one event being written: its fields, then the text.
type line struct {
	fields []field
	text   []byte
}

// field is one key and its value: a decoded string, or a JSON literal
// (number, true, false, null) as written. Both are the event's own bytes
// unless decoding changed them.
type field struct {
	key, value []byte
	str        bool
}

// Write writes one event, p, as a line.
func (w *Writer) Write(p []byte) (int, error) {
	l, _ := w.bufs.Get().(*line)
	if l == nil {
		l = &line{}
	}
	defer func() {
		clear(l.fields) // they point into p, which zerolog reuses
		w.bufs.Put(l)
	}()
	var ok bool
	l.fields, ok = parse(p, l.fields[:0])
	if !ok {
		return w.slow.Write(p)
	}
	l.text, ok = w.format(l.text[:0], l.fields)
	if !ok {
		return w.slow.Write(p)
	}
	if _, err := w.out.Write(l.text); err != nil {
		return 0, err
	}
	return len(p), nil
}

// format writes ConsoleWriter's line: time, level, message, then the other
// fields by name, error first.
func (w *Writer) format(b []byte, fields []field) ([]byte, bool) {
	var ts, level, msg *field
	for i := range fields {
		f := &fields[i]
		switch string(f.key) {
		case zerolog.TimestampFieldName:
			ts = f
		case zerolog.LevelFieldName:
			level = f
		case zerolog.MessageFieldName:
			msg = f
		case zerolog.CallerFieldName:
			return b, false
		}
	}
	if (ts != nil && !ts.str) || (level != nil && !level.str) || (msg != nil && !msg.str) {
		return b, false
	}
	b = w.timestamp(b, ts)
	b = append(b, ' ')
	b = append(b, levelText(level)...)
	if msg != nil && len(msg.value) > 0 {
		b = append(b, ' ')
		b = append(b, msg.value...)
	}
	rest := slices.DeleteFunc(fields, func(f field) bool {
		switch string(f.key) {
		case zerolog.TimestampFieldName, zerolog.LevelFieldName, zerolog.MessageFieldName:
			return true
		}
		return false
	})
	slices.SortFunc(rest, func(a, c field) int {
		switch {
		case bytes.Equal(a.key, c.key):
			return 0
		case string(a.key) == zerolog.ErrorFieldName:
			return -1
		case string(c.key) == zerolog.ErrorFieldName:
			return 1
		}
		return bytes.Compare(a.key, c.key)
	})
	for _, f := range rest {
		b = append(b, ' ')
		b = append(b, f.key...)
		b = append(b, '=')
		if f.str && needsQuote(f.value) {
			b = strconv.AppendQuote(b, string(f.value))
		} else {
			b = append(b, f.value...)
		}
	}
	return append(b, '\n'), true
}

// timestamp is ConsoleWriter's: the event's time in local time, or the
// value as it is when it does not parse.
func (w *Writer) timestamp(b []byte, f *field) []byte {
	if f == nil {
		return append(b, "<nil>"...)
	}
	t, err := time.ParseInLocation(zerolog.TimeFieldFormat, string(f.value), time.Local)
	if err != nil {
		return append(b, f.value...)
	}
	return t.In(time.Local).AppendFormat(b, w.timeFormat)
}

// levelText is ConsoleWriter's: "INF" and the like.
func levelText(f *field) string {
	if f == nil || len(f.value) == 0 {
		return "???"
	}
	v := string(f.value)
	if l, err := zerolog.ParseLevel(v); err == nil {
		if s, ok := zerolog.FormattedLevels[l]; ok {
			return s
		}
	}
	return strings.ToUpper(v[:min(3, len(v))])
}

// needsQuote is ConsoleWriter's rule for quoting a string value.
func needsQuote(s []byte) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == ' ' || c == '\\' || c == '"' {
			return true
		}
	}
	return false
}

// parse reads a flat JSON object into fields (appended to fs). A later
// field of the same name replaces an earlier one, as decoding into a map
// does. It reports false for anything else: nested values, bad JSON.
func parse(p []byte, fs []field) ([]field, bool) {
	i := skipSpace(p, 0)
	if i >= len(p) || p[i] != '{' {
		return fs, false
	}
	i = skipSpace(p, i+1)
	if i < len(p) && p[i] == '}' {
		return fs, skipSpace(p, i+1) == len(p)
	}
	for {
		var f field
		var ok bool
		if f.key, i, ok = str(p, i); !ok {
			return fs, false
		}
		i = skipSpace(p, i)
		if i >= len(p) || p[i] != ':' {
			return fs, false
		}
		i = skipSpace(p, i+1)
		if i >= len(p) {
			return fs, false
		}
		switch p[i] {
		case '"':
			f.str = true
			if f.value, i, ok = str(p, i); !ok {
				return fs, false
			}
		case '{', '[':
			return fs, false
		default:
			j := i
			for j < len(p) && p[j] != ',' && p[j] != '}' && !isSpace(p[j]) {
				j++
			}
			if !literal(p[i:j]) {
				return fs, false
			}
			f.value, i = p[i:j], j
		}
		if k := slices.IndexFunc(fs, func(o field) bool { return bytes.Equal(o.key, f.key) }); k >= 0 {
			fs[k] = f
		} else {
			fs = append(fs, f)
		}
		i = skipSpace(p, i)
		if i >= len(p) {
			return fs, false
		}
		if p[i] == '}' {
			return fs, skipSpace(p, i+1) == len(p)
		}
		if p[i] != ',' {
			return fs, false
		}
		i = skipSpace(p, i+1)
	}
}

// str reads the JSON string that starts at p[i]; it returns the decoded
// string and the index past it.
func str(p []byte, i int) ([]byte, int, bool) {
	if i >= len(p) || p[i] != '"' {
		return nil, i, false
	}
	plain := true // no escapes, control characters or bytes past ASCII
	for j := i + 1; j < len(p); j++ {
		switch c := p[j]; {
		case c == '\\':
			plain = false
			j++ // the escaped character cannot end the string
		case c < 0x20 || c >= 0x80:
			plain = false
		case c == '"':
			if plain {
				return p[i+1 : j], j + 1, true
			}
			// encoding/json, as ConsoleWriter decodes it (escapes, and
			// invalid UTF-8 replaced).
			var s string
			if json.Unmarshal(p[i:j+1], &s) != nil {
				return nil, j + 1, false
			}
			return []byte(s), j + 1, true
		}
	}
	return nil, len(p), false
}

// literal reports whether v is a JSON number, true, false or null: written
// as it is.
func literal(v []byte) bool {
	switch string(v) {
	case "true", "false", "null":
		return true
	}
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') && json.Valid(v)
}

func skipSpace(p []byte, i int) int {
	for i < len(p) && isSpace(p[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }
