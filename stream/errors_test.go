package stream

import (
	"io"
	"testing"
)

// TestErrorBytes checks the <stream:error> element exactly.
func TestErrorBytes(t *testing.T) {
	const ns = "urn:ietf:params:xml:ns:xmpp-streams"
	tests := []struct {
		err  *Error
		want string
	}{
		{
			&Error{Condition: PolicyViolation},
			"<stream:error><policy-violation xmlns='" + ns + "'/></stream:error>",
		},
		{
			Errorf(NotWellFormed, "the XML is not well-formed: %s", "bad"),
			"<stream:error><not-well-formed xmlns='" + ns + "'/><text xmlns='" + ns + "' xml:lang='en'>the XML is not well-formed: bad</text></stream:error>",
		},
		{
			// Text is escaped; quotes need not be in character data.
			&Error{RestrictedXML, "only the five (&xxe;) <!DOCTYPE> 'a' \"b\""},
			"<stream:error><restricted-xml xmlns='" + ns + "'/><text xmlns='" + ns + "' xml:lang='en'>only the five (&amp;xxe;) &lt;!DOCTYPE&gt; 'a' \"b\"</text></stream:error>",
		},
		{
			// A carriage return survives the client's line-end normalization.
			&Error{BadFormat, "a\r\nb"},
			"<stream:error><bad-format xmlns='" + ns + "'/><text xmlns='" + ns + "' xml:lang='en'>a&#xD;\nb</text></stream:error>",
		},
	}
	for _, tt := range tests {
		if got := string(tt.err.Bytes()); got != tt.want {
			t.Errorf("%v: Bytes() =\n  %s\nwant\n  %s", tt.err, got, tt.want)
		}
		// Whatever the server sends parses as one element whose <text> is
		// the original text.
		evs, err := parse(hdr+tt.want, testLimits, 64)
		if err != io.EOF || len(evs) != 2 {
			t.Fatalf("%v: parsing Bytes(): %v, %v", tt.err, evs, err)
		}
		el := evs[1].Element
		if evs[1].Space != NSStreams || el.Tag != "error" {
			t.Errorf("%v: parsed as %s in %q", tt.err, el.FullTag(), evs[1].Space)
		}
		if txt := el.SelectElement("text"); (txt == nil) != (tt.err.Text == "") || (txt != nil && txt.Text() != tt.err.Text) {
			t.Errorf("%v: <text> parsed back as %v", tt.err, txt)
		}
		if c := el.SelectElement(string(tt.err.Condition)); c == nil || c.Space != "" {
			t.Errorf("%v: no condition element", tt.err)
		}
	}
}

// TestErrorString checks the Go error text names the condition and the text.
func TestErrorString(t *testing.T) {
	if got := (&Error{Condition: Conflict}).Error(); got != "stream error conflict" {
		t.Errorf("Error() = %q", got)
	}
	if got := Errorf(HostUnknown, "%q is not served here", "x.org").Error(); got != `stream error host-unknown: "x.org" is not served here` {
		t.Errorf("Error() = %q", got)
	}
}
