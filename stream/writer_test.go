package stream

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// TestAppendElement checks the writer's exact form: single quotes, empty
// elements self-closed, attributes in order, appended to what is there.
func TestAppendElement(t *testing.T) {
	el := etree.NewElement("message")
	el.CreateAttr("to", "rob@example.com")
	el.CreateAttr("xml:lang", "en")
	body := el.CreateElement("body")
	body.CreateText("it's <1> & \"2\"")
	el.CreateElement("x").Space = "p"
	el.CreateAttr("xmlns:p", "urn:p")
	var b bytes.Buffer
	b.WriteString("before|")
	AppendElement(&b, el)
	want := "before|<message to='rob@example.com' xml:lang='en' xmlns:p='urn:p'><body>it's &lt;1&gt; &amp; \"2\"</body><p:x/></message>"
	if got := b.String(); got != want {
		t.Errorf("AppendElement =\n  %s\nwant\n  %s", got, want)
	}
	if got := string(Marshal(el)); got != want[len("before|"):] {
		t.Errorf("Marshal = %s", got)
	}
}

// TestMarshalRoundTrip checks what Marshal writes reads back to the same
// tree: text and attribute values with every character XML escapes or
// normalizes.
func TestMarshalRoundTrip(t *testing.T) {
	values := []string{
		"plain", "", "<>&'\"", "]]>", "a\r\nb", "\r", "\t\n", " lead and trail ", "é€😀",
		strings.Repeat("&", 10),
	}
	for _, v := range values {
		in := "<a v='" + escapeAttrString(v) + "'>" + escapeTextString(v) + "<b/>" + escapeTextString(v) + "</a>"
		evs, err := parse(hdr+in, testLimits, 64)
		if err != io.EOF || len(evs) != 2 {
			t.Fatalf("%q: %v, %v", v, evs, err)
		}
		el := evs[1].Element
		if got := el.SelectAttrValue("v", "?"); got != v {
			t.Errorf("%q: attribute parsed as %q", v, got)
		}
		out := string(Marshal(el))
		evs2, err := parse(hdr+out, testLimits, 64)
		if err != io.EOF || len(evs2) != 2 {
			t.Fatalf("%q: reparsing %s: %v, %v", v, out, evs2, err)
		}
		el2 := evs2[1].Element
		if got := el2.SelectAttrValue("v", "?"); got != v {
			t.Errorf("%q: after Marshal %s, attribute parsed as %q", v, out, got)
		}
		if got := el2.Text(); got != v {
			t.Errorf("%q: after Marshal %s, text parsed as %q", v, out, got)
		}
		if out2 := string(Marshal(el2)); out2 != out {
			t.Errorf("%q: Marshal not stable:\n  %s\n  %s", v, out, out2)
		}
	}
}

func escapeTextString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&', '<', '>', '\r':
			b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func escapeAttrString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&', '<', '\'', '\r', '\n', '\t':
			b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
