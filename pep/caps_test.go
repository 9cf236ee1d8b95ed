package pep

import (
	"testing"

	"github.com/beevik/etree"
)

// TestVerify: the verification strings of XEP-0115's own examples, §5.2
// (simple) and §5.3 (with an extended form), and an unknown hash.
func TestVerify(t *testing.T) {
	for _, c := range []struct{ name, hash, info, want string }{
		{"simple", "sha-1", `<query xmlns='http://jabber.org/protocol/disco#info'>
			<identity category='client' name='Exodus 0.9.1' type='pc'/>
			<feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/>
			<feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/></query>`,
			"QgayPKawpkPSDYmwT/WM94uAlu0="},
		{"complex", "sha-1", `<query xmlns='http://jabber.org/protocol/disco#info'>
			<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
			<identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
			<feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/>
			<feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/>
			<x xmlns='jabber:x:data' type='result'>
			<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
			<field var='ip_version'><value>ipv4</value><value>ipv6</value></field>
			<field var='os'><value>Mac</value></field><field var='os_version'><value>10.5.1</value></field>
			<field var='software'><value>Psi</value></field><field var='software_version'><value>0.11</value></field>
			</x></query>`,
			"q07IKJEyjvHSyhy//CH0CxmKi8w="},
		// What slixmpp 1.8.3 answered (TestSlixmppPEP): "shim" sorts
		// before "shim#SubID", "nick" before "nick+notify".
		{"slixmpp", "sha-1", `<query xmlns='http://jabber.org/protocol/disco#info' node='http://slixmpp.com/ver/1.8.3#xKQYEebIxMbBHcxxvUlLPPwXn7Q='>
			<identity category='client' type='bot'/><feature var='http://jabber.org/protocol/disco#info'/>
			<feature var='http://jabber.org/protocol/shim'/><feature var='http://jabber.org/protocol/shim#SubID'/>
			<feature var='jabber:x:data'/><feature var='http://jabber.org/protocol/caps'/>
			<feature var='urn:xmpp:avatar:metadata+notify'/><feature var='urn:xmpp:avatar:metadata'/>
			<feature var='http://jabber.org/protocol/nick+notify'/><feature var='http://jabber.org/protocol/nick'/>
			<feature var='eu.siacs.conversations.axolotl.devicelist+notify'/></query>`,
			"xKQYEebIxMbBHcxxvUlLPPwXn7Q="},
		{"unknown hash", "md5", `<query xmlns='http://jabber.org/protocol/disco#info'/>`, ""},
	} {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(c.info); err != nil {
			t.Fatal(err)
		}
		if got := verify(c.hash, doc.Root()); got != c.want {
			t.Errorf("%s: verify = %q, want %q", c.name, got, c.want)
		}
	}
}
