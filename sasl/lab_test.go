package sasl

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/xdg-go/scram"
)

// TestSSDPHash: XEP-0474's own example (§4.3: SCRAM-SHA-1 and its -PLUS,
// tls-exporter and tls-server-end-point) gives its hash, whatever the
// order the lists come in; without XEP-0440 there is no 0x1F part.
func TestSSDPHash(t *testing.T) {
	d := SSDP{Mechanisms: []string{"SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"}, ChannelBindings: []string{"tls-server-end-point", "tls-exporter"}}
	if got, want := d.Hash(sha1.New), "G6k/rBLDqgOhRRaCuuatSDFkJ08="; got != want {
		t.Errorf("hash %s, want XEP-0474's %s", got, want)
	}
	if got := d.Attribute(sha1.New); got != ",h=G6k/rBLDqgOhRRaCuuatSDFkJ08=" {
		t.Errorf("attribute %q", got)
	}
	noCB := SSDP{Mechanisms: d.Mechanisms}
	h := sha256.Sum256([]byte("SCRAM-SHA-1\x1eSCRAM-SHA-1-PLUS"))
	if got := noCB.Hash(sha256.New); got != base64.StdEncoding.EncodeToString(h[:]) {
		t.Errorf("hash without XEP-0440 %s", got)
	}
	if d.Hash(sha1.New) == (SSDP{Mechanisms: []string{"SCRAM-SHA-1"}, ChannelBindings: nil}).Hash(sha1.New) {
		t.Error("a stripped list hashes like the real one")
	}
}

// TestSCRAMDowngradeProtection: with DowngradeProtection the server-first
// message ends with XEP-0474's h over the real list, the AuthMessage both
// sides sign includes it (xdg-go's client logs in, with and without
// channel binding, and verifies the server's signature), and a wrong
// password or binding still fails as in the standard exchange.
func TestSCRAMDowngradeProtection(t *testing.T) {
	store := scramStore(t)
	exporter := bytes.Repeat([]byte{7}, 32)
	real := &SSDP{Mechanisms: []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN"}, ChannelBindings: []string{BindingTLSExporter}}
	ctx := func() *Context {
		return &Context{Domain: "localhost", Secure: true, TLSExporter: exporter, PlusAdvertised: true, DowngradeProtection: real}
	}
	want := real.Attribute(sha256.New)
	for _, c := range []struct {
		name   string
		mech   SCRAM
		client func() *scram.ClientConversation
		fail   string
	}{
		{"no binding", SCRAM{Hash: "SHA-256", Accounts: store}, func() *scram.ClientConversation {
			return newClient(t, scram.SHA256, "alice", "pencil").NewConversation()
		}, ""},
		{"tls-exporter", SCRAM{Hash: "SHA-256", Plus: true, Accounts: store}, func() *scram.ClientConversation {
			return newClient(t, scram.SHA256, "alice", "pencil").NewConversationWithChannelBinding(
				scram.ChannelBinding{Type: scram.ChannelBindingTLSExporter, Data: exporter})
		}, ""},
		{"authzid", SCRAM{Hash: "SHA-256", Accounts: store}, func() *scram.ClientConversation {
			c, _ := scram.SHA256.NewClient("alice", "pencil", "alice@localhost")
			return c.NewConversation()
		}, ""},
		{"wrong password", SCRAM{Hash: "SHA-256", Accounts: store}, func() *scram.ClientConversation {
			return newClient(t, scram.SHA256, "alice", "wrong").NewConversation()
		}, TextWrongCredentials},
		{"unknown user", SCRAM{Hash: "SHA-256", Accounts: store, Iterations: 4096}, func() *scram.ClientConversation {
			return newClient(t, scram.SHA256, "nobody", "pencil").NewConversation()
		}, TextWrongCredentials},
		{"binding mismatch", SCRAM{Hash: "SHA-256", Plus: true, Accounts: store}, func() *scram.ClientConversation {
			return newClient(t, scram.SHA256, "alice", "pencil").NewConversationWithChannelBinding(
				scram.ChannelBinding{Type: scram.ChannelBindingTLSExporter, Data: bytes.Repeat([]byte{8}, 32)})
		}, TextBindingMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := c.client()
			sess := c.mech.Start(ctx())
			first, _ := client.Step("")
			s1, done, err := sess.Next([]byte(first))
			if done {
				t.Fatalf("refused the client-first message: %v", err)
			}
			if !strings.HasSuffix(string(s1), want) || !strings.HasPrefix(string(s1), "r=") {
				t.Errorf("server-first %q does not end with %q", s1, want)
			}
			final, err := client.Step(string(s1))
			if err != nil {
				t.Fatal(err)
			}
			_, done, err = sess.Next([]byte(final))
			if !done {
				t.Fatal("not done after the client-final message")
			}
			if c.fail != "" {
				if f, ok := err.(*Failure); !ok || f.Text != c.fail || f.Condition != NotAuthorized {
					t.Errorf("failure %v, want not-authorized %q", err, c.fail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sess.Identity().Username != "alice" {
				t.Errorf("identity %+v", sess.Identity())
			}
			if _, err := client.Step(string(sess.SuccessData())); err != nil || !client.Valid() {
				t.Errorf("the client rejected the server-final message %q: %v", sess.SuccessData(), err)
			}
		})
	}
}

// TestSCRAMDowngradeProtectionMalformed: the extension's own parser
// refuses what RFC 5802 forbids.
func TestSCRAMDowngradeProtectionMalformed(t *testing.T) {
	store := scramStore(t)
	for _, first := range []string{
		"n,,", "x,,n=alice,r=abc", "n,b=alice,n=alice,r=abc", "n,,m=ext,n=alice,r=abc",
		"n,,n=al=ZZice,r=abc", "n,,n=alice", "n,,r=abc,n=alice", "n,,n=,r=abc",
	} {
		sess := SCRAM{Hash: "SHA-256", Accounts: store}.Start(&Context{Domain: "localhost", Secure: true, DowngradeProtection: &SSDP{}})
		if _, done, err := sess.Next([]byte(first)); !done || err == nil {
			t.Errorf("client-first %q was accepted", first)
		}
	}
	for _, final := range []string{"c=biws,r=CS", "c=biws,r=other,p=AAAA", "c=biws,p=AAAA", "c=!!,r=CS,p=AAAA", "c=eSws,r=CS,p=AAAA", "c=biws,r=CS,p=AAAA"} {
		sess := SCRAM{Hash: "SHA-256", Accounts: store}.Start(&Context{Domain: "localhost", Secure: true, DowngradeProtection: &SSDP{}, Nonce: func() string { return "S" }})
		if s1, done, err := sess.Next([]byte("n,,n=alice,r=C")); done || !strings.HasPrefix(string(s1), "r=CS,s=") {
			t.Fatalf("server-first %q %v", s1, err)
		}
		if _, done, err := sess.Next([]byte(final)); !done || err == nil {
			t.Errorf("client-final %q was accepted", final)
		}
		if _, _, err := sess.Next([]byte(final)); err == nil {
			t.Error("a second client-final message was accepted")
		}
	}
}

// TestBadServerFinal: the lab's server-final message is one a SCRAM client
// rejects; success data that is not SCRAM's passes through.
func TestBadServerFinal(t *testing.T) {
	store := scramStore(t)
	client := newClient(t, scram.SHA256, "alice", "pencil").NewConversation()
	sess, err := runSCRAMNoCheck(t, SCRAM{Hash: "SHA-256", Accounts: store}, client)
	if err != nil {
		t.Fatal(err)
	}
	good := sess.SuccessData()
	bad := BadServerFinal(good)
	if len(bad) != len(good) || bytes.Equal(bad, good) || !bytes.HasPrefix(bad, []byte("v=")) {
		t.Fatalf("bad server-final %q from %q", bad, good)
	}
	if _, err := client.Step(string(bad)); err == nil || client.Valid() {
		t.Errorf("xdg-go's client accepted the bad server-final message: %v", err)
	}
	for _, other := range []string{"", "e=other-error", "v=%%%"} {
		if got := BadServerFinal([]byte(other)); string(got) != other {
			t.Errorf("BadServerFinal(%q) = %q", other, got)
		}
	}
	// No server-final message at all is rejected as well.
	client = newClient(t, scram.SHA256, "alice", "pencil").NewConversation()
	if _, err := runSCRAMNoCheck(t, SCRAM{Hash: "SHA-256", Accounts: store}, client); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Step(""); err == nil || client.Valid() {
		t.Errorf("xdg-go's client accepted success without a server-final message: %v", err)
	}
}

// runSCRAMNoCheck runs a SCRAM exchange up to the server's success, and
// leaves the server-final message to the caller.
func runSCRAMNoCheck(t *testing.T, mech SCRAM, client *scram.ClientConversation) (Session, error) {
	t.Helper()
	sess := mech.Start(&Context{Domain: "localhost", Secure: true})
	first, _ := client.Step("")
	s1, done, err := sess.Next([]byte(first))
	if done {
		return sess, err
	}
	final, err := client.Step(string(s1))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = sess.Next([]byte(final))
	return sess, err
}
