package stream

import "bytes"

// escapeText escapes character data. A carriage return is written as a
// reference: a parser turns a literal one into a line feed.
func escapeText(b *bytes.Buffer, s string) {
	escape(b, s, false)
}

// escapeAttr escapes a value for a single-quoted attribute. Tab, line feed
// and carriage return are written as references: a parser normalizes literal
// ones to spaces (XML 1.0 §3.3.3) or a carriage return to a line feed.
func escapeAttr(b *bytes.Buffer, s string) {
	escape(b, s, true)
}

// escape writes s with the characters that need it replaced, the runs
// between them in one write each: most values (names, ids, namespaces,
// stanza text) need none, and a byte at a time was most of a stream
// header's cost.
func escape(b *bytes.Buffer, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); i++ {
		ref := reference(s[i], attr)
		if ref == "" {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(ref)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// reference is what c is written as, or "" when it is written as itself.
func reference(c byte, attr bool) string {
	switch c {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		if !attr {
			return "&gt;"
		}
	case '\r':
		return "&#xD;"
	case '\'':
		if attr {
			return "&apos;"
		}
	case '"':
		if attr {
			return "&quot;"
		}
	case '\t':
		if attr {
			return "&#x9;"
		}
	case '\n':
		if attr {
			return "&#xA;"
		}
	}
	return ""
}
