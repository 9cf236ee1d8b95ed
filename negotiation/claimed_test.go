package negotiation

import (
	"encoding/base64"
	"testing"

	"github.com/beevik/etree"

	"jabberd/sasl"
)

func TestClaimedUsername(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, c := range []struct {
		xml, space, want string
	}{
		{"<auth mechanism='PLAIN'>" + b64("\x00alice+cert-expired\x00secret") + "</auth>", sasl.NS, "alice+cert-expired"},
		{"<auth mechanism='SCRAM-SHA-256'>" + b64("n,,n=bob+strip-starttls,r=abc") + "</auth>", sasl.NS, "bob+strip-starttls"},
		{"<auth mechanism='SCRAM-SHA-1'>" + b64("n,,n=a=2Cb,r=x") + "</auth>", sasl.NS, "a,b"},
		{"<auth mechanism='PLAIN'>not base64!</auth>", sasl.NS, ""},
		{"<auth mechanism='EXTERNAL'>=</auth>", sasl.NS, ""},
		{"<iq type='set'><query xmlns='jabber:iq:auth'><username>carol+fail-starttls</username><password>x</password></query></iq>", "jabber:client", "carol+fail-starttls"},
		{"<message><body>alice</body></message>", "jabber:client", ""},
	} {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(c.xml); err != nil {
			t.Fatal(err)
		}
		if got := ClaimedUsername(doc.Root(), c.space); got != c.want {
			t.Errorf("ClaimedUsername(%s) = %q, want %q", c.xml, got, c.want)
		}
	}
}
