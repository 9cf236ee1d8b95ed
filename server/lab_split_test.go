package server

import (
	"strings"
	"testing"

	"jabberd/lab"
)

// TestSplitXMPP: what a client sent where its ClientHello belonged is cut
// into tags that account for every byte on the wire, and a PLAIN payload
// is never kept.
func TestSplitXMPP(t *testing.T) {
	in := "\n<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHB3</auth><auth mechanism='" + lab.InjectedMechanism + "'/></stream:stream>"
	pieces := splitXMPP([]byte(in))
	n := 0
	for _, p := range pieces {
		n += p.N
		if strings.Contains(string(p.Data), "AGFsaWNlAHB3") {
			t.Errorf("a piece keeps the PLAIN payload: %q", p.Data)
		}
	}
	if n != len(in) {
		t.Errorf("pieces account for %d bytes, the input has %d", n, len(in))
	}
	if len(pieces) < 4 || !pieces[0].What.Credentials || !pieces[0].Redacted || !pieces[2].What.Injected || pieces[3].What.Kind != "close" {
		t.Errorf("pieces = %+v", pieces)
	}
}

// TestSplitXMPPLateLogin: what sendxmpp sends on the same socket after its
// TLS library gave up — a new stream and a jabber:iq:auth login — is read
// as a header and elements, and the password is consumed, never kept.
func TestSplitXMPPLateLogin(t *testing.T) {
	in := "<?xml version='1.0' encoding='UTF-8'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" +
		"<iq type='set' id='a1'><query xmlns='jabber:iq:auth'><username>alice</username><password>hunter2</password><resource>r</resource></query></iq>"
	pieces := splitXMPP([]byte(in))
	n, creds := 0, 0
	var names []string
	for _, p := range pieces {
		n += p.N
		names = append(names, p.What.Kind+":"+p.What.Name)
		if strings.Contains(string(p.Data), "hunter2") {
			t.Errorf("a piece keeps the password: %q", p.Data)
		}
		if p.What.Credentials {
			creds++
		}
	}
	if n != len(in) {
		t.Errorf("pieces account for %d bytes, the input has %d", n, len(in))
	}
	if creds != 1 || pieces[0].What.Kind != "header" || pieces[1].What.Kind != "header" || pieces[2].What.Name != "iq" {
		t.Errorf("pieces %v, %d with credentials", names, creds)
	}
}
