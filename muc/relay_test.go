package muc

import (
	"testing"

	"github.com/beevik/etree"

	"jabberd/stream"
)

// TestRelayCopyIndependent: two copies of one relayed message are
// addressed each to its own recipient, and a child added to one (as the
// router's paths may) is not in the other nor in the original.
func TestRelayCopyIndependent(t *testing.T) {
	doc := etree.NewDocument()
	if err := doc.ReadFromString("<message type='groupchat' from='team@conference.localhost/A'><body>hi</body></message>"); err != nil {
		t.Fatal(err)
	}
	out := doc.Root()
	a, b := relayCopy(out), relayCopy(out)
	a.CreateAttr("to", "a@localhost/a")
	b.CreateAttr("to", "b@localhost/b")
	a.CreateElement("delay")
	if got := string(stream.Marshal(b)); got != "<message type='groupchat' from='team@conference.localhost/A' to='b@localhost/b'><body>hi</body></message>" {
		t.Errorf("the other copy: %s", got)
	}
	if got := string(stream.Marshal(a)); got != "<message type='groupchat' from='team@conference.localhost/A' to='a@localhost/a'><body>hi</body><delay/></message>" {
		t.Errorf("the changed copy: %s", got)
	}
	if got := string(stream.Marshal(out)); got != "<message type='groupchat' from='team@conference.localhost/A'><body>hi</body></message>" {
		t.Errorf("the original: %s", got)
	}
}
