package stanza

import (
	"testing"

	"github.com/beevik/etree"
)

func TestBounceTo(t *testing.T) {
	doc := etree.NewDocument()
	if err := doc.ReadFromString("<message to='room@conference.localhost' id='m1' type='groupchat'><body>hi</body></message>"); err != nil {
		t.Fatal(err)
	}
	r := BounceTo(doc.Root(), ErrBadRequest, "alice@localhost/r", "conference.localhost")
	if r == nil || r.SelectAttrValue("to", "") != "alice@localhost/r" || r.SelectAttrValue("type", "") != "error" || r.SelectAttrValue("id", "") != "m1" {
		t.Fatalf("reply %v", r)
	}
	for _, in := range []string{"<message type='error'/>", "<iq type='result' id='x'/>"} {
		d := etree.NewDocument()
		_ = d.ReadFromString(in)
		if BounceTo(d.Root(), ErrBadRequest, "a@b", "c") != nil {
			t.Errorf("%s was answered", in)
		}
	}
}
