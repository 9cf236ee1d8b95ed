package negotiation

import (
	"testing"

	"github.com/beevik/etree"

	"jabberd/stanza"
)

// TestSecretNamespaces: the secret list in package stanza names the
// namespaces of the queries this package answers with passwords in them.
func TestSecretNamespaces(t *testing.T) {
	for _, ns := range []string{NSIQAuth, NSRegister} {
		el := etree.NewElement("iq")
		q := el.CreateElement("query")
		q.CreateAttr("xmlns", ns)
		q.CreateElement("password").SetText("pw")
		if stanza.Redacted(el) == el {
			t.Errorf("a %s password is not a secret to stanza.Redacted", ns)
		}
	}
}
