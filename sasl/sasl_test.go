package sasl_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"jabberd/accounts"
	"jabberd/sasl"
)

const domain = "example.com"

func newStore(t *testing.T) *accounts.Memory {
	t.Helper()
	s, err := accounts.FromUsers([]accounts.User{
		{Name: "alice", Password: "secret"},
		{Name: "bob", Password: "hunter2"},
		{Name: "certonly", Password: ""},
	}, accounts.Options{Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantFailure checks that err is a *sasl.Failure with exactly c and text.
func wantFailure(t *testing.T, what string, err error, c sasl.Condition, text string) {
	t.Helper()
	var f *sasl.Failure
	if !errors.As(err, &f) {
		t.Errorf("%s: error = %v (%T), want *sasl.Failure %s", what, err, err, c)
		return
	}
	if f.Condition != c || f.Text != text {
		t.Errorf("%s: failure = {%s, %q}, want {%s, %q}", what, f.Condition, f.Text, c, text)
	}
	if want := string(c) + ": " + text; f.Error() != want {
		t.Errorf("%s: Error() = %q, want %q", what, f.Error(), want)
	}
}

func plainStart(t *testing.T, store accounts.Store) sasl.Session {
	t.Helper()
	m := sasl.Plain{Accounts: store}
	if m.Name() != "PLAIN" {
		t.Errorf("Name() = %q", m.Name())
	}
	return m.Start(&sasl.Context{Domain: domain, Secure: true})
}

func msg(authzid, user, pw string) []byte {
	return []byte(authzid + "\x00" + user + "\x00" + pw)
}

func TestPlainInitialResponse(t *testing.T) {
	testPlainInitialResponse(t, newStore(t))
}

// TestPlainInitialResponseCached: through the password cache, every case
// answers the same, the second round (cache warm) too.
func TestPlainInitialResponseCached(t *testing.T) {
	store := accounts.Cached(newStore(t), accounts.NewPasswordCache(time.Minute, 10))
	testPlainInitialResponse(t, store)
	testPlainInitialResponse(t, store)
}

func testPlainInitialResponse(t *testing.T, store accounts.Store) {
	for _, tc := range []struct {
		name     string
		data     []byte
		wantUser string // "" → failure expected
		cond     sasl.Condition
		text     string
	}{
		{"success", msg("", "alice", "secret"), "alice", "", ""},
		{"user name prepared", msg("", "Alice", "secret"), "alice", "", ""},
		{"full-width user name", msg("", "ＡＬＩＣＥ", "secret"), "alice", "", ""},
		{"authzid equal", msg("alice@example.com", "alice", "secret"), "alice", "", ""},
		{"authzid domain case", msg("alice@EXAMPLE.Com", "alice", "secret"), "alice", "", ""},
		{"authzid local case", msg("ALICE@example.com", "alice", "secret"), "alice", "", ""},
		{"wrong password", msg("", "alice", "Secret"), "", sasl.NotAuthorized, "wrong user name or password"},
		{"empty password", msg("", "alice", ""), "", sasl.NotAuthorized, "wrong user name or password"},
		{"unknown user", msg("", "mallory", "secret"), "", sasl.NotAuthorized, "wrong user name or password"},
		{"account without password", msg("", "certonly", "x"), "", sasl.NotAuthorized, "wrong user name or password"},
		{"invalid user name", msg("", "a b", "secret"), "", sasl.NotAuthorized, "the user name is not valid"},
		{"user name with @", msg("", "alice@example.com", "secret"), "", sasl.NotAuthorized, "the user name is not valid"},
		{"missing NULs", []byte("alicesecret"), "", sasl.MalformedRequest, "PLAIN message must be authzid NUL user NUL password"},
		{"one NUL", []byte("alice\x00secret"), "", sasl.MalformedRequest, "PLAIN message must be authzid NUL user NUL password"},
		{"three NULs", []byte("\x00alice\x00secret\x00"), "", sasl.MalformedRequest, "PLAIN message must be authzid NUL user NUL password"},
		{"empty message", []byte{}, "", sasl.MalformedRequest, "PLAIN message must be authzid NUL user NUL password"},
		{"authzid of another user", msg("bob@example.com", "alice", "secret"), "", sasl.InvalidAuthzid, "PLAIN may only authorize as the authenticated user alice@example.com"},
		{"authzid of another domain", msg("alice@other.org", "alice", "secret"), "", sasl.InvalidAuthzid, "PLAIN may only authorize as the authenticated user alice@example.com"},
		{"authzid full JID", msg("alice@example.com/res", "alice", "secret"), "", sasl.InvalidAuthzid, "PLAIN may only authorize as the authenticated user alice@example.com"},
		{"authzid bare name", msg("alice", "alice", "secret"), "", sasl.InvalidAuthzid, "PLAIN may only authorize as the authenticated user alice@example.com"},
		{"authzid with wrong password", msg("bob@example.com", "alice", "nope"), "", sasl.NotAuthorized, "wrong user name or password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := plainStart(t, store)
			ch, done, err := s.Next(tc.data)
			if !done {
				t.Fatalf("done = false, challenge %q", ch)
			}
			if ch != nil {
				t.Errorf("challenge = %q with done", ch)
			}
			if tc.wantUser != "" {
				if err != nil {
					t.Fatalf("error %v, want success", err)
				}
				if got := s.Identity().Username; got != tc.wantUser {
					t.Errorf("Identity().Username = %q, want %q", got, tc.wantUser)
				}
				if d := s.SuccessData(); d != nil {
					t.Errorf("SuccessData() = %q, want nil", d)
				}
				return
			}
			wantFailure(t, tc.name, err, tc.cond, tc.text)
			if got := s.Identity().Username; got != "" {
				t.Errorf("Identity().Username = %q after failure", got)
			}
		})
	}
}

func TestPlainDisabled(t *testing.T) {
	store := newStore(t)
	a, err := store.Lookup("alice")
	if err != nil {
		t.Fatal(err)
	}
	a.Disabled = true
	s := plainStart(t, store)
	_, done, err := s.Next(msg("", "alice", "secret"))
	if !done {
		t.Fatal("not done")
	}
	wantFailure(t, "disabled", err, sasl.AccountDisabled, "this account is disabled")

	// A wrong password on a disabled account does not reveal that it is disabled.
	s = plainStart(t, store)
	_, _, err = s.Next(msg("", "alice", "wrong"))
	wantFailure(t, "disabled, wrong password", err, sasl.NotAuthorized, "wrong user name or password")

	// Other accounts are unaffected.
	s = plainStart(t, store)
	if _, _, err := s.Next(msg("", "bob", "hunter2")); err != nil {
		t.Errorf("bob: %v", err)
	}
}

func TestPlainNoInitialResponse(t *testing.T) {
	store := newStore(t)
	s := plainStart(t, store)
	ch, done, err := s.Next(nil)
	if err != nil || done {
		t.Fatalf("Next(nil) = %q, %v, %v; want empty challenge, not done", ch, done, err)
	}
	if ch == nil || len(ch) != 0 {
		t.Fatalf("challenge = %#v, want non-nil and empty", ch)
	}
	ch, done, err = s.Next(msg("", "bob", "hunter2"))
	if err != nil || !done || ch != nil {
		t.Fatalf("response: %q, %v, %v; want done success", ch, done, err)
	}
	if got := s.Identity().Username; got != "bob" {
		t.Errorf("Identity = %q, want bob", got)
	}

	// The response may also fail.
	s = plainStart(t, store)
	if _, _, err := s.Next(nil); err != nil {
		t.Fatal(err)
	}
	_, done, err = s.Next(msg("", "bob", "wrong"))
	if !done {
		t.Fatal("not done")
	}
	wantFailure(t, "response with wrong password", err, sasl.NotAuthorized, "wrong user name or password")
}

func TestPlainSecondNil(t *testing.T) {
	s := plainStart(t, newStore(t))
	if _, done, err := s.Next(nil); done || err != nil {
		t.Fatalf("first Next(nil): done=%v err=%v", done, err)
	}
	ch, done, err := s.Next(nil)
	if !done || ch != nil {
		t.Errorf("second Next(nil): challenge %q, done %v; want done, nil", ch, done)
	}
	wantFailure(t, "second nil", err, sasl.MalformedRequest, "PLAIN needs authzid, user name and password in one message")
}

type brokenStore struct{}

func (brokenStore) Lookup(string) (*accounts.Account, error) { return nil, errors.New("disk on fire") }

func TestPlainStoreError(t *testing.T) {
	s := plainStart(t, brokenStore{})
	_, done, err := s.Next(msg("", "alice", "secret"))
	if !done {
		t.Fatal("not done")
	}
	wantFailure(t, "store error", err, sasl.TemporaryAuthFailure, "the account store is unavailable")
}

func externalStart(ids ...string) sasl.Session {
	return sasl.External{}.Start(&sasl.Context{Domain: domain, Secure: true, ExternalIdentities: ids})
}

func TestExternalName(t *testing.T) {
	if n := (sasl.External{}).Name(); n != "EXTERNAL" {
		t.Errorf("Name() = %q", n)
	}
}

func TestExternalNoIdentities(t *testing.T) {
	for _, data := range [][]byte{nil, {}, []byte("alice@example.com")} {
		s := externalStart()
		ch, done, err := s.Next(data)
		if !done || ch != nil {
			t.Errorf("Next(%q): challenge %q, done %v", data, ch, done)
		}
		wantFailure(t, "no identities", err, sasl.NotAuthorized, "no verified client certificate maps to an account here")
		if s.Identity().Username != "" {
			t.Errorf("identity %q after failure", s.Identity().Username)
		}
	}
}

func TestExternalOneIdentity(t *testing.T) {
	for _, data := range [][]byte{nil, {}, []byte("alice@example.com"), []byte("Alice@Example.COM")} {
		s := externalStart("alice")
		ch, done, err := s.Next(data)
		if err != nil || !done || ch != nil {
			t.Errorf("Next(%q) = %q, %v, %v; want success", data, ch, done, err)
			continue
		}
		if got := s.Identity().Username; got != "alice" {
			t.Errorf("Next(%q): identity %q, want alice", data, got)
		}
		if s.SuccessData() != nil {
			t.Errorf("SuccessData = %q", s.SuccessData())
		}
	}
	// One identity, but the authzid names someone else.
	for _, authz := range []string{"bob@example.com", "alice@other.org", "alice@example.com/res", "alice"} {
		s := externalStart("alice")
		_, done, err := s.Next([]byte(authz))
		if !done {
			t.Errorf("%q: not done", authz)
		}
		wantFailure(t, authz, err, sasl.InvalidAuthzid, "the authorization identity is not one the certificate holds")
	}
}

func TestExternalSeveralIdentities(t *testing.T) {
	// No initial response: the server asks with an empty challenge.
	s := externalStart("alice", "bob", "carol")
	ch, done, err := s.Next(nil)
	if err != nil || done {
		t.Fatalf("Next(nil) = %q, %v, %v; want a challenge", ch, done, err)
	}
	if ch == nil || len(ch) != 0 {
		t.Fatalf("challenge = %#v, want non-nil and empty", ch)
	}
	ch, done, err = s.Next([]byte{})
	if !done || ch != nil {
		t.Errorf("empty response: challenge %q, done %v", ch, done)
	}
	wantFailure(t, "empty authzid", err, sasl.InvalidAuthzid, "the certificate holds 3 identities: name one as the authorization identity")

	// An empty initial response (not absent) is the same failure at once.
	s = externalStart("alice", "bob")
	_, done, err = s.Next([]byte{})
	if !done {
		t.Error("empty initial response: not done")
	}
	wantFailure(t, "empty initial response", err, sasl.InvalidAuthzid, "the certificate holds 2 identities: name one as the authorization identity")

	// A second absent response after the challenge is an empty authzid too.
	s = externalStart("alice", "bob")
	if _, _, err := s.Next(nil); err != nil {
		t.Fatal(err)
	}
	_, done, err = s.Next(nil)
	if !done {
		t.Error("second nil: not done")
	}
	wantFailure(t, "second nil", err, sasl.InvalidAuthzid, "the certificate holds 2 identities: name one as the authorization identity")

	// Naming one of them, after the challenge or in the initial response.
	for _, tc := range []struct {
		authz, want string
		ask         bool
	}{
		{"bob@example.com", "bob", true},
		{"bob@EXAMPLE.COM", "bob", true},
		{"Carol@Example.com", "carol", false},
		{"alice@example.com", "alice", false},
	} {
		s := externalStart("alice", "bob", "carol")
		if tc.ask {
			if ch, done, err := s.Next(nil); err != nil || done || ch == nil {
				t.Fatalf("%q: no challenge", tc.authz)
			}
		}
		ch, done, err := s.Next([]byte(tc.authz))
		if err != nil || !done || ch != nil {
			t.Errorf("%q: %q, %v, %v; want success", tc.authz, ch, done, err)
			continue
		}
		if got := s.Identity().Username; got != tc.want {
			t.Errorf("%q: identity %q, want %q", tc.authz, got, tc.want)
		}
	}

	for _, authz := range []string{"dave@example.com", "bob@other.org", "bob@example.com/laptop", "bob", "@example.com"} {
		s := externalStart("alice", "bob", "carol")
		_, done, err := s.Next([]byte(authz))
		if !done {
			t.Errorf("%q: not done", authz)
		}
		wantFailure(t, authz, err, sasl.InvalidAuthzid, "the authorization identity is not one the certificate holds")
		if s.Identity().Username != "" {
			t.Errorf("%q: identity %q after failure", authz, s.Identity().Username)
		}
	}
}

func TestFail(t *testing.T) {
	f := sasl.Fail(sasl.Aborted, "%d of %s", 3, "x")
	if f.Condition != sasl.Aborted || f.Text != "3 of x" || f.Error() != "aborted: 3 of x" {
		t.Errorf("Fail = %+v, %q", f, f.Error())
	}
	for c, want := range map[sasl.Condition]string{
		sasl.Aborted: "aborted", sasl.AccountDisabled: "account-disabled",
		sasl.CredentialsExpired: "credentials-expired", sasl.EncryptionRequired: "encryption-required",
		sasl.IncorrectEncoding: "incorrect-encoding", sasl.InvalidAuthzid: "invalid-authzid",
		sasl.InvalidMechanism: "invalid-mechanism", sasl.MalformedRequest: "malformed-request",
		sasl.MechanismTooWeak: "mechanism-too-weak", sasl.NotAuthorized: "not-authorized",
		sasl.TemporaryAuthFailure: "temporary-auth-failure",
	} {
		if string(c) != want {
			t.Errorf("condition %q, want %q", c, want)
		}
	}
}

func write(f func(*bytes.Buffer)) string {
	var b bytes.Buffer
	b.WriteString("[") // proves the profile appends rather than overwrites
	f(&b)
	return b.String()[1:]
}

const nsAttr = " xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"

func TestProfileRFC6120(t *testing.T) {
	p := sasl.RFC6120
	if sasl.NS != "urn:ietf:params:xml:ns:xmpp-sasl" || sasl.NSLegacy != "http://www.iana.org/assignments/sasl-mechanisms" {
		t.Errorf("namespaces: %q %q", sasl.NS, sasl.NSLegacy)
	}
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"mechanisms", write(func(b *bytes.Buffer) { p.Mechanisms(b, []string{"EXTERNAL", "PLAIN"}) }),
			"<mechanisms" + nsAttr + "><mechanism>EXTERNAL</mechanism><mechanism>PLAIN</mechanism></mechanisms>"},
		{"no mechanisms", write(func(b *bytes.Buffer) { p.Mechanisms(b, nil) }),
			"<mechanisms" + nsAttr + "></mechanisms>"},
		{"empty challenge (nil)", write(func(b *bytes.Buffer) { p.Challenge(b, nil) }),
			"<challenge" + nsAttr + "/>"},
		{"empty challenge", write(func(b *bytes.Buffer) { p.Challenge(b, []byte{}) }),
			"<challenge" + nsAttr + "/>"},
		{"challenge", write(func(b *bytes.Buffer) { p.Challenge(b, []byte("hello\x00world")) }),
			"<challenge" + nsAttr + ">aGVsbG8Ad29ybGQ=</challenge>"},
		{"success", write(func(b *bytes.Buffer) { p.Success(b, nil) }),
			"<success" + nsAttr + "/>"},
		{"success with data", write(func(b *bytes.Buffer) { p.Success(b, []byte("v=abc")) }),
			"<success" + nsAttr + ">dj1hYmM=</success>"},
		{"failure with text", write(func(b *bytes.Buffer) {
			p.Failure(b, sasl.Fail(sasl.NotAuthorized, "a<b & c>d"))
		}), "<failure" + nsAttr + "><not-authorized/><text xml:lang='en'>a&lt;b &amp; c&gt;d</text></failure>"},
		{"failure without text", write(func(b *bytes.Buffer) {
			p.Failure(b, &sasl.Failure{Condition: sasl.Aborted})
		}), "<failure" + nsAttr + "><aborted/></failure>"},
		{"nil failure", write(func(b *bytes.Buffer) { p.Failure(b, nil) }),
			"<failure" + nsAttr + "/>"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
}

func TestProfileLegacy(t *testing.T) {
	p := sasl.Profile{Legacy: true, Prefix: "p"}
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"mechanisms", write(func(b *bytes.Buffer) { p.Mechanisms(b, []string{"EXTERNAL", "PLAIN"}) }),
			"<p:mechanisms><p:mechanism>EXTERNAL</p:mechanism><p:mechanism>PLAIN</p:mechanism></p:mechanisms>"},
		{"empty challenge", write(func(b *bytes.Buffer) { p.Challenge(b, nil) }), "<p:challenge/>"},
		{"challenge", write(func(b *bytes.Buffer) { p.Challenge(b, []byte("hi")) }), "<p:challenge>aGk=</p:challenge>"},
		{"success", write(func(b *bytes.Buffer) { p.Success(b, []byte{}) }), "<p:success/>"},
		{"success with data", write(func(b *bytes.Buffer) { p.Success(b, []byte("v=abc")) }), "<p:success>dj1hYmM=</p:success>"},
		{"failure", write(func(b *bytes.Buffer) {
			p.Failure(b, sasl.Fail(sasl.NotAuthorized, "wrong <user> & password"))
		}), "<p:failure>wrong &lt;user&gt; &amp; password</p:failure>"},
		{"nil failure", write(func(b *bytes.Buffer) { p.Failure(b, nil) }), "<p:failure/>"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
	q := sasl.Profile{Legacy: true, Prefix: "sasl"}
	if got, want := write(func(b *bytes.Buffer) { q.Mechanisms(b, []string{"PLAIN"}) }),
		"<sasl:mechanisms><sasl:mechanism>PLAIN</sasl:mechanism></sasl:mechanisms>"; got != want {
		t.Errorf("prefix sasl:\n got %s\nwant %s", got, want)
	}
}

func TestDecode(t *testing.T) {
	d, absent, f := sasl.Decode("")
	if d != nil || !absent || f != nil {
		t.Errorf(`Decode("") = %#v, %v, %v; want nil, true, nil`, d, absent, f)
	}
	d, absent, f = sasl.Decode("=")
	if d == nil || len(d) != 0 || absent || f != nil {
		t.Errorf(`Decode("=") = %#v, %v, %v; want []byte{}, false, nil`, d, absent, f)
	}
	d, absent, f = sasl.Decode("AGFsaWNlAHNlY3JldA==")
	if !bytes.Equal(d, []byte("\x00alice\x00secret")) || absent || f != nil {
		t.Errorf("Decode(valid) = %q, %v, %v", d, absent, f)
	}
	for _, in := range []string{"!!!!", "aGk", "a", "aGk=x", "==", "aG k="} {
		d, absent, f := sasl.Decode(in)
		if d != nil || absent {
			t.Errorf("Decode(%q) = %q, absent %v; want nil, false", in, d, absent)
		}
		if f == nil {
			t.Errorf("Decode(%q): no failure", in)
			continue
		}
		wantFailure(t, "Decode("+in+")", f, sasl.IncorrectEncoding, "the payload is not valid base64")
	}
}

// TestPlainCachedThenDisabled: an account disabled after a cached login is
// refused: the cache stands in for the password check only.
func TestPlainCachedThenDisabled(t *testing.T) {
	mem := newStore(t)
	store := accounts.Cached(mem, accounts.NewPasswordCache(time.Minute, 10))
	if _, _, err := plainStart(t, store).Next(msg("", "alice", "secret")); err != nil {
		t.Fatal(err)
	}
	a, err := mem.Lookup("alice")
	if err != nil {
		t.Fatal(err)
	}
	a.Disabled = true
	_, _, err = plainStart(t, store).Next(msg("", "alice", "secret"))
	wantFailure(t, "disabled after a cached login", err, sasl.AccountDisabled, "this account is disabled")
}
