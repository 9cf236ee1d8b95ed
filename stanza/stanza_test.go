package stanza_test

import (
	"strings"
	"testing"

	"github.com/beevik/etree"

	"jabberd/stanza"
)

func parse(t *testing.T, s string) *etree.Element {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(s); err != nil {
		t.Fatal(err)
	}
	return d.Root()
}

func text(el *etree.Element) string {
	d := etree.NewDocument()
	d.SetRoot(el)
	s, _ := d.WriteToString()
	return s
}

// TestErrorReply: the reply keeps the name and id, swaps to and from, echoes
// the payload without its secrets, and carries the condition, code and text.
func TestErrorReply(t *testing.T) {
	el := parse(t, `<iq id='r1' type='set' from='a@x/r' to='x'><query xmlns='jabber:iq:register'><username>bob</username><password>s3cret</password></query></iq>`)
	got := text(stanza.ErrorReply(el, stanza.ErrConflict.WithText("the username is taken")))
	want := `<iq id="r1" type="error" from="x" to="a@x/r"><query xmlns="jabber:iq:register"><username>bob</username></query>` +
		`<error code="409" type="cancel"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
		`<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">the username is taken</text></error></iq>`
	if got != want {
		t.Errorf("reply\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(text(el), "s3cret") {
		t.Error("ErrorReply changed the request it answers")
	}
}

// TestRedacted: every secret's text is replaced in a copy; an element
// without one is returned as it is.
func TestRedacted(t *testing.T) {
	for _, s := range []string{
		`<iq type='set'><query xmlns='jabber:iq:auth'><username>bob</username><password>pw</password><digest>d1</digest></query></iq>`,
		`<iq type='set'><query xmlns='jabber:iq:register'><username>bob</username><password>pw</password></query></iq>`,
		`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGJvYgBwdw==</auth>`,
		`<sasl:response xmlns:sasl='http://www.iana.org/assignments/sasl-mechanisms'>AGJvYgBwdw==</sasl:response>`,
	} {
		el := parse(t, s)
		red := stanza.Redacted(el)
		if red == el {
			t.Errorf("%s: not redacted", s)
			continue
		}
		if got := text(red); strings.Contains(got, "pw<") || strings.Contains(got, "d1") || strings.Contains(got, "AGJvYgBwdw==") || !strings.Contains(got, "[redacted]") {
			t.Errorf("%s: redacted to %s", s, got)
		}
	}
	plain := parse(t, `<message to='b@x'><body>password</body></message>`)
	if stanza.Redacted(plain) != plain {
		t.Error("a message without secrets was copied")
	}
}
