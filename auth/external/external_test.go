package external_test

import (
	"crypto/x509"
	"reflect"
	"sync"
	"testing"

	"jabberd/accounts"
	"jabberd/auth/external"
	"jabberd/certs"
)

const domain = "example.com"

var (
	caOnce sync.Once
	ca     *certs.Pair
	caErr  error
)

func testCA(t *testing.T) *certs.Pair {
	t.Helper()
	caOnce.Do(func() { ca, caErr = certs.NewCA("jabberd test CA", certs.Options{}) })
	if caErr != nil {
		t.Fatal(caErr)
	}
	return ca
}

func client(t *testing.T, jid string, opt certs.ClientOptions) *x509.Certificate {
	t.Helper()
	p, err := certs.IssueClientWith(testCA(t), jid, opt)
	if err != nil {
		t.Fatalf("IssueClientWith(%q, %+v): %v", jid, opt, err)
	}
	return p.Cert
}

func store(t *testing.T) accounts.Store {
	t.Helper()
	s, err := accounts.FromUsers([]accounts.User{
		{Name: "alice", Password: "a"},
		{Name: "bob", Password: ""},
		{Name: "carol", Password: "c"},
	}, accounts.Options{Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mapper(t *testing.T, p external.Policy) *external.Mapper {
	return &external.Mapper{Domain: domain, Policy: p, Accounts: store(t)}
}

func check(t *testing.T, what string, res external.Result, err error, wantUsers, wantDropped []string) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: error %v", what, err)
		return
	}
	if !reflect.DeepEqual(res.Usernames, wantUsers) {
		t.Errorf("%s: Usernames = %q, want %q", what, res.Usernames, wantUsers)
	}
	if !reflect.DeepEqual(res.Dropped, wantDropped) {
		t.Errorf("%s: Dropped = %q, want %q", what, res.Dropped, wantDropped)
	}
}

func TestParsePolicy(t *testing.T) {
	for in, want := range map[string]external.Policy{
		"xmppaddr":       external.XMPPAddr,
		"xmppaddr+email": external.XMPPAddrEmail,
		"xmppaddr+cn":    external.XMPPAddrCN,
	} {
		got, err := external.ParsePolicy(in)
		if err != nil || got != want {
			t.Errorf("ParsePolicy(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "email", "cn", "xmppaddr+email+cn", "xmppaddr ", "xmppaddr,cn"} {
		got, err := external.ParsePolicy(in)
		if err == nil {
			t.Errorf("ParsePolicy(%q) = %q, want error", in, got)
			continue
		}
		if got != "" {
			t.Errorf("ParsePolicy(%q) returned %q with the error", in, got)
		}
		want := `"` + in + `" is not one of xmppaddr, xmppaddr+email, xmppaddr+cn`
		if err.Error() != want {
			t.Errorf("ParsePolicy(%q) error = %q, want %q", in, err.Error(), want)
		}
	}
}

func TestXMPPAddrOfThisDomain(t *testing.T) {
	for _, p := range []external.Policy{external.XMPPAddr, external.XMPPAddrEmail, external.XMPPAddrCN} {
		m := mapper(t, p)
		res, err := m.Identities(client(t, "alice@example.com", certs.ClientOptions{}))
		check(t, "alice, policy "+string(p), res, err, []string{"alice"}, nil)
	}
	m := mapper(t, external.XMPPAddr)
	// An account without a password is fine for certificate login.
	res, err := m.Identities(client(t, "bob@example.com", certs.ClientOptions{}))
	check(t, "bob", res, err, []string{"bob"}, nil)
	// Local part is prepared (case), domain compared without case.
	res, err = m.Identities(client(t, "Alice@Example.COM", certs.ClientOptions{}))
	check(t, "Alice@Example.COM", res, err, []string{"alice"}, nil)
	// The conforming xmppAddr-only shape (empty subject, critical SAN).
	res, err = m.Identities(client(t, "carol@example.com", certs.ClientOptions{OnlyOtherName: true, CriticalSAN: true}))
	check(t, "OnlyOtherName+CriticalSAN", res, err, []string{"carol"}, nil)
	// Mapper domain given in another case.
	m2 := &external.Mapper{Domain: "EXAMPLE.com", Policy: external.XMPPAddr, Accounts: store(t)}
	res, err = m2.Identities(client(t, "alice@example.com", certs.ClientOptions{}))
	check(t, "mapper domain case", res, err, []string{"alice"}, nil)
}

func TestXMPPAddrOfAnotherDomain(t *testing.T) {
	m := mapper(t, external.XMPPAddrEmail)
	res, err := m.Identities(client(t, "alice@other.org", certs.ClientOptions{}))
	check(t, "other domain", res, err, nil,
		[]string{`xmppAddr "alice@other.org": belongs to domain other.org, not example.com`})
	// A subdomain is another domain too.
	res, err = m.Identities(client(t, "alice@chat.example.com", certs.ClientOptions{}))
	check(t, "subdomain", res, err, nil,
		[]string{`xmppAddr "alice@chat.example.com": belongs to domain chat.example.com, not example.com`})
}

func TestXMPPAddrWithoutAccount(t *testing.T) {
	m := mapper(t, external.XMPPAddr)
	cert := client(t, "dave@example.com", certs.ClientOptions{})
	res, err := m.Identities(cert)
	check(t, "no account", res, err, nil, []string{`xmppAddr "dave@example.com": no account "dave"`})

	m.AutoProvision = true
	res, err = m.Identities(cert)
	check(t, "no account, AutoProvision", res, err, []string{"dave"}, nil)

	// AutoProvision does not extend to other domains.
	res, err = m.Identities(client(t, "dave@other.org", certs.ClientOptions{}))
	check(t, "other domain, AutoProvision", res, err, nil,
		[]string{`xmppAddr "dave@other.org": belongs to domain other.org, not example.com`})
}

func TestSeveralXMPPAddrs(t *testing.T) {
	m := mapper(t, external.XMPPAddr)
	res, err := m.Identities(client(t, "alice@example.com", certs.ClientOptions{ExtraXMPPAddrs: []string{"carol@example.com"}}))
	check(t, "two accounts", res, err, []string{"alice", "carol"}, nil)

	res, err = m.Identities(client(t, "alice@example.com", certs.ClientOptions{
		ExtraXMPPAddrs: []string{"alice@example.com", "ALICE@EXAMPLE.COM", "carol@example.com", "Alice@example.com"},
	}))
	check(t, "duplicates", res, err, []string{"alice", "carol"}, nil)

	// Good and bad identities in one certificate: each bad one has its reason.
	res, err = m.Identities(client(t, "alice@example.com", certs.ClientOptions{
		ExtraXMPPAddrs: []string{
			"carol@other.org",
			"bob@example.com/laptop",
			"dave@example.com",
			"example.com",
			"@example.com",
			"a b@example.com",
			"bob@example.com",
		},
	}))
	check(t, "mixed", res, err, []string{"alice", "bob"}, []string{
		`xmppAddr "carol@other.org": belongs to domain other.org, not example.com`,
		`xmppAddr "bob@example.com/laptop": a full JID; identities are bare JIDs`,
		`xmppAddr "dave@example.com": no account "dave"`,
		`xmppAddr "example.com": not a bare JID user@domain`,
		`xmppAddr "@example.com": not a bare JID user@domain`,
		`xmppAddr "a b@example.com": "a b" is not a valid user name: precis: disallowed rune encountered`,
	})
}

func TestFullJIDDropped(t *testing.T) {
	m := mapper(t, external.XMPPAddr)
	// certs refuses a full JID as the main identity, so put the full JID
	// alongside an identity of another domain.
	res, err := m.Identities(client(t, "alice@other.org", certs.ClientOptions{
		ExtraXMPPAddrs: []string{"alice@example.com/res"},
	}))
	check(t, "full JID", res, err, nil, []string{
		`xmppAddr "alice@other.org": belongs to domain other.org, not example.com`,
		`xmppAddr "alice@example.com/res": a full JID; identities are bare JIDs`,
	})
	if _, err := certs.IssueClientWith(testCA(t), "alice@example.com/res", certs.ClientOptions{}); err == nil {
		t.Error("certs issued a certificate for a full JID")
	}
}

func TestNoXMPPAddr(t *testing.T) {
	cert := client(t, "alice@example.com", certs.ClientOptions{NoXMPPAddr: true})
	// What certs puts in such a certificate: the email SAN and the CN.
	if got, err := certs.XMPPAddrs(cert); err != nil || got != nil {
		t.Fatalf("XMPPAddrs = %q, %v; want none", got, err)
	}
	if !reflect.DeepEqual(cert.EmailAddresses, []string{"alice@example.com"}) {
		t.Fatalf("EmailAddresses = %q, want [alice@example.com]", cert.EmailAddresses)
	}
	if cert.Subject.CommonName != "alice@example.com" {
		t.Fatalf("CN = %q", cert.Subject.CommonName)
	}

	res, err := mapper(t, external.XMPPAddr).Identities(cert)
	check(t, "policy xmppaddr", res, err, nil, []string{"no identity in the certificate under policy xmppaddr"})

	res, err = mapper(t, external.XMPPAddrEmail).Identities(cert)
	check(t, "policy xmppaddr+email", res, err, []string{"alice"}, nil)

	res, err = mapper(t, external.XMPPAddrCN).Identities(cert)
	check(t, "policy xmppaddr+cn", res, err, []string{"alice"}, nil)

	// Fallback identities go through the same checks, with their source named.
	other := client(t, "alice@other.org", certs.ClientOptions{NoXMPPAddr: true})
	res, err = mapper(t, external.XMPPAddrEmail).Identities(other)
	check(t, "email of another domain", res, err, nil,
		[]string{`email "alice@other.org": belongs to domain other.org, not example.com`})
	res, err = mapper(t, external.XMPPAddrCN).Identities(other)
	check(t, "CN of another domain", res, err, nil,
		[]string{`CN "alice@other.org": belongs to domain other.org, not example.com`})

	nobody := client(t, "dave@example.com", certs.ClientOptions{NoXMPPAddr: true})
	res, err = mapper(t, external.XMPPAddrCN).Identities(nobody)
	check(t, "CN without account", res, err, nil, []string{`CN "dave@example.com": no account "dave"`})
}

func TestFallbacksOnlyWithoutXMPPAddr(t *testing.T) {
	// xmppAddr present: the email and CN are ignored even when they would
	// name an account and the xmppAddr does not.
	cert := client(t, "dave@example.com", certs.ClientOptions{})
	for _, p := range []external.Policy{external.XMPPAddrEmail, external.XMPPAddrCN} {
		res, err := mapper(t, p).Identities(cert)
		check(t, "policy "+string(p), res, err, nil, []string{`xmppAddr "dave@example.com": no account "dave"`})
	}
	// OnlyOtherName: no email and no CN, but the xmppAddr is there.
	only := client(t, "alice@example.com", certs.ClientOptions{OnlyOtherName: true})
	if len(only.EmailAddresses) != 0 || only.Subject.CommonName != "" {
		t.Fatalf("OnlyOtherName cert has email %q CN %q", only.EmailAddresses, only.Subject.CommonName)
	}
	res, err := mapper(t, external.XMPPAddrCN).Identities(only)
	check(t, "OnlyOtherName", res, err, []string{"alice"}, nil)
}

func TestNoIdentityAtAll(t *testing.T) {
	// A certificate with neither xmppAddr nor email SAN nor CN: the server
	// certificate made by certs has DNS names only.
	srv, err := certs.IssueServer(testCA(t), []string{"example.com"}, certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []external.Policy{external.XMPPAddr, external.XMPPAddrEmail, external.XMPPAddrCN} {
		res, err := mapper(t, p).Identities(srv.Cert)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if len(res.Usernames) != 0 {
			t.Errorf("%s: Usernames = %q from a server certificate", p, res.Usernames)
		}
	}
	res, err := mapper(t, external.XMPPAddr).Identities(srv.Cert)
	check(t, "server cert, xmppaddr", res, err, nil, []string{"no identity in the certificate under policy xmppaddr"})
	res, err = mapper(t, external.XMPPAddrEmail).Identities(srv.Cert)
	check(t, "server cert, xmppaddr+email", res, err, nil, []string{"no identity in the certificate under policy xmppaddr+email"})
}

func TestNilCertificate(t *testing.T) {
	res, err := mapper(t, external.XMPPAddr).Identities(nil)
	if err == nil {
		t.Fatalf("Identities(nil) = %+v, want error", res)
	}
	if want := "read xmppAddr from the client certificate: xmppAddr: nil certificate"; err.Error() != want {
		t.Errorf("error = %q, want %q", err.Error(), want)
	}
}
