package sasl

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// The namespaces of the two wire profiles.
const (
	NS       = "urn:ietf:params:xml:ns:xmpp-sasl"
	NSLegacy = "http://www.iana.org/assignments/sasl-mechanisms"
)

// Profile writes SASL elements in one of the two XML profiles. It is the
// one place where typed failures become XML.
type Profile struct {
	// Legacy selects XEP-0034: elements use Prefix (bound in the stream
	// header the server echoed), failures carry plain text, and success
	// is not followed by a stream restart.
	Legacy bool
	Prefix string
}

// RFC6120 is the RFC 6120 §6 profile.
var RFC6120 = Profile{}

func (p Profile) open(b *bytes.Buffer, local string) {
	b.WriteByte('<')
	if p.Legacy {
		b.WriteString(p.Prefix)
		b.WriteString(":")
		b.WriteString(local)
	} else {
		b.WriteString(local)
		b.WriteString(" xmlns='" + NS + "'") // a constant
	}
}

func (p Profile) close(b *bytes.Buffer, local string) {
	b.WriteString("</")
	if p.Legacy {
		b.WriteString(p.Prefix)
		b.WriteString(":")
	}
	b.WriteString(local)
	b.WriteString(">")
}

// Mechanisms writes the list of offered mechanisms.
func (p Profile) Mechanisms(b *bytes.Buffer, names []string) {
	p.open(b, "mechanisms")
	b.WriteByte('>')
	for _, n := range names {
		// Piece by piece: a concatenation past 32 bytes is an allocation.
		if p.Legacy {
			b.WriteString("<")
			b.WriteString(p.Prefix)
			b.WriteString(":mechanism>")
			b.WriteString(n)
			b.WriteString("</")
			b.WriteString(p.Prefix)
			b.WriteString(":mechanism>")
		} else {
			b.WriteString("<mechanism>")
			b.WriteString(n)
			b.WriteString("</mechanism>")
		}
	}
	p.close(b, "mechanisms")
}

// Challenge writes a challenge carrying data (base64).
func (p Profile) Challenge(b *bytes.Buffer, data []byte) { p.withData(b, "challenge", data) }

// Success writes success, with additional data if any.
func (p Profile) Success(b *bytes.Buffer, data []byte) { p.withData(b, "success", data) }

func (p Profile) withData(b *bytes.Buffer, local string, data []byte) {
	p.open(b, local)
	if len(data) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	b.WriteString(base64.StdEncoding.EncodeToString(data))
	p.close(b, local)
}

// Failure writes a failure. RFC 6120 names the condition and adds text;
// XEP-0034 has no conditions, only an optional human-readable text. A nil
// f writes a bare failure.
func (p Profile) Failure(b *bytes.Buffer, f *Failure) {
	p.open(b, "failure")
	if f == nil {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	if p.Legacy {
		escape(b, f.Text)
	} else {
		b.WriteString("<" + string(f.Condition) + "/>")
		if f.Text != "" {
			b.WriteString("<text xml:lang='en'>")
			escape(b, f.Text)
			b.WriteString("</text>")
		}
	}
	p.close(b, "failure")
}

func escape(b *bytes.Buffer, s string) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	b.WriteString(r.Replace(s))
}

// Decode reads the base64 payload of <auth> or <response>. absent is the
// element having no text at all; RFC 6120 writes an empty payload as "=".
func Decode(text string) (data []byte, absent bool, f *Failure) {
	if text == "" {
		return nil, true, nil
	}
	if text == "=" {
		return []byte{}, false, nil
	}
	d, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, false, Fail(IncorrectEncoding, "the payload is not valid base64")
	}
	return d, false, nil
}
