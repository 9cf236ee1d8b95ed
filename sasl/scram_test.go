package sasl

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xdg-go/scram"

	"jabberd/accounts"
)

func scramStore(t *testing.T) accounts.Store {
	t.Helper()
	s, err := accounts.FromUsers([]accounts.User{{Name: "alice", Password: "pencil"}}, accounts.Options{Iterations: 4096})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runSCRAM plays a real SCRAM client (xdg-go/scram) against a session and
// returns the failure, if any.
func runSCRAM(t *testing.T, mech SCRAM, ctx *Context, client *scram.ClientConversation) (Session, error) {
	t.Helper()
	sess := mech.Start(ctx)
	msg, err := client.Step("")
	if err != nil {
		t.Fatalf("client-first: %v", err)
	}
	chal, done, err := sess.Next([]byte(msg))
	if done {
		return sess, err
	}
	msg, err = client.Step(string(chal))
	if err != nil {
		t.Fatalf("client-final: %v", err)
	}
	_, done, err = sess.Next([]byte(msg))
	if !done {
		t.Fatal("SCRAM did not finish after client-final")
	}
	if err != nil {
		return sess, err
	}
	// The client checks the server signature carried with <success/>.
	if _, cerr := client.Step(string(sess.SuccessData())); cerr != nil || !client.Valid() {
		t.Fatalf("client rejected the server-final message %q: %v", sess.SuccessData(), cerr)
	}
	return sess, nil
}

func newClient(t *testing.T, h scram.HashGeneratorFcn, user, pw string) *scram.Client {
	t.Helper()
	c, err := h.NewClient(user, pw, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func condition(err error) Condition {
	var f *Failure
	if errors.As(err, &f) {
		return f.Condition
	}
	return ""
}

func TestSCRAM(t *testing.T) {
	store := scramStore(t)
	exporter := bytes.Repeat([]byte{7}, 32)
	endpoint := bytes.Repeat([]byte{9}, 32)
	tlsCtx := &Context{Domain: "localhost", Secure: true, TLSExporter: exporter, TLSServerEndPoint: endpoint}
	tests := []struct {
		name   string
		mech   SCRAM
		ctx    *Context
		client func() *scram.ClientConversation
		want   Condition
	}{
		{"SHA-256", SCRAM{Hash: "SHA-256", Accounts: store}, tlsCtx,
			func() *scram.ClientConversation {
				return newClient(t, scram.SHA256, "alice", "pencil").NewConversation()
			}, ""},
		{"SHA-1", SCRAM{Hash: "SHA-1", Accounts: store}, tlsCtx,
			func() *scram.ClientConversation { return newClient(t, scram.SHA1, "Alice", "pencil").NewConversation() }, ""},
		{"wrong password", SCRAM{Hash: "SHA-256", Accounts: store}, tlsCtx,
			func() *scram.ClientConversation { return newClient(t, scram.SHA256, "alice", "pen").NewConversation() }, NotAuthorized},
		{"unknown user", SCRAM{Hash: "SHA-256", Accounts: store}, tlsCtx,
			func() *scram.ClientConversation { return newClient(t, scram.SHA256, "zed", "pencil").NewConversation() }, NotAuthorized},
		{"PLUS tls-exporter", SCRAM{Hash: "SHA-256", Plus: true, Accounts: store}, tlsCtx,
			func() *scram.ClientConversation {
				return newClient(t, scram.SHA256, "alice", "pencil").NewConversationWithChannelBinding(
					scram.ChannelBinding{Type: scram.ChannelBindingTLSExporter, Data: exporter})
			}, ""},
		{"PLUS tls-server-end-point", SCRAM{Hash: "SHA-1", Plus: true, Accounts: store}, tlsCtx,
			func() *scram.ClientConversation {
				return newClient(t, scram.SHA1, "alice", "pencil").NewConversationWithChannelBinding(
					scram.ChannelBinding{Type: scram.ChannelBindingTLSServerEndpoint, Data: endpoint})
			}, ""},
		{"PLUS binding data differs (a MITM's TLS)", SCRAM{Hash: "SHA-256", Plus: true, Accounts: store}, tlsCtx,
			func() *scram.ClientConversation {
				return newClient(t, scram.SHA256, "alice", "pencil").NewConversationWithChannelBinding(
					scram.ChannelBinding{Type: scram.ChannelBindingTLSExporter, Data: bytes.Repeat([]byte{1}, 32)})
			}, NotAuthorized},
		{"PLUS without binding", SCRAM{Hash: "SHA-256", Plus: true, Accounts: store}, tlsCtx,
			func() *scram.ClientConversation {
				return newClient(t, scram.SHA256, "alice", "pencil").NewConversation()
			}, MalformedRequest},
		{"PLUS with tls-unique", SCRAM{Hash: "SHA-256", Plus: true, Accounts: store}, tlsCtx,
			func() *scram.ClientConversation {
				return newClient(t, scram.SHA256, "alice", "pencil").NewConversationWithChannelBinding(
					scram.ChannelBinding{Type: scram.ChannelBindingTLSUnique, Data: []byte{1}})
			}, MalformedRequest},
		{"binding asked of a non-PLUS mechanism", SCRAM{Hash: "SHA-256", Accounts: store}, tlsCtx,
			func() *scram.ClientConversation {
				return newClient(t, scram.SHA256, "alice", "pencil").NewConversationWithChannelBinding(
					scram.ChannelBinding{Type: scram.ChannelBindingTLSExporter, Data: exporter})
			}, MalformedRequest},
		{"downgrade: y while PLUS was offered", SCRAM{Hash: "SHA-256", Accounts: store},
			&Context{Domain: "localhost", Secure: true, TLSExporter: exporter, PlusAdvertised: true},
			func() *scram.ClientConversation {
				return newClient(t, scram.SHA256, "alice", "pencil").NewConversationAdvertisingChannelBinding()
			}, NotAuthorized},
		{"y when PLUS was not offered", SCRAM{Hash: "SHA-256", Accounts: store}, tlsCtx,
			func() *scram.ClientConversation {
				return newClient(t, scram.SHA256, "alice", "pencil").NewConversationAdvertisingChannelBinding()
			}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sess, err := runSCRAM(t, tc.mech, tc.ctx, tc.client())
			if got := condition(err); got != tc.want || (tc.want == "" && err != nil) {
				t.Fatalf("outcome %v (%q), want %q", err, got, tc.want)
			}
			if tc.want == "" && sess.Identity().Username != "alice" {
				t.Fatalf("identity %q", sess.Identity().Username)
			}
		})
	}
}

// TestSCRAMNoInitialResponse: without an initial response the server asks
// with an empty challenge, once.
func TestSCRAMNoInitialResponse(t *testing.T) {
	sess := SCRAM{Hash: "SHA-256", Accounts: scramStore(t)}.Start(&Context{Domain: "localhost"})
	chal, done, err := sess.Next(nil)
	if done || err != nil || chal == nil || len(chal) != 0 {
		t.Fatalf("Next(nil) = %q, %v, %v", chal, done, err)
	}
	if _, done, err := sess.Next(nil); !done || condition(err) != MalformedRequest {
		t.Fatalf("second Next(nil) = %v, %v", done, err)
	}
}

// TestSCRAMUnknownUserLooksLikeAnyOther: a name with no account gets a
// server-first message like a real one (with the same salt every time and
// the configured iteration count) and fails only at the proof.
func TestSCRAMUnknownUserLooksLikeAnyOther(t *testing.T) {
	mech := SCRAM{Hash: "SHA-256", Accounts: scramStore(t), Iterations: 4096}
	first := func() string {
		client := newClient(t, scram.SHA256, "zed", "pencil").NewConversation()
		msg, _ := client.Step("")
		chal, done, err := mech.Start(&Context{Domain: "localhost"}).Next([]byte(msg))
		if done || err != nil {
			t.Fatalf("unknown user refused at the first message: %v", err)
		}
		return string(chal)
	}
	a, b := first(), first()
	saltOf := func(s string) string {
		for _, f := range bytes.Split([]byte(s), []byte(",")) {
			if bytes.HasPrefix(f, []byte("s=")) {
				return string(f)
			}
		}
		return ""
	}
	if saltOf(a) == "" || saltOf(a) != saltOf(b) || !bytes.Contains([]byte(a), []byte(",i=4096")) {
		t.Fatalf("server-first messages %q and %q: want the same salt and i=4096", a, b)
	}
}
