package certs

import (
	"crypto/x509"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const testDomain = "example.org"

var testServerNames = []string{"localhost", "127.0.0.1", "::1"}

func ensure(t *testing.T, dir string, users ...string) *State {
	t.Helper()
	st, err := EnsureState(dir, testDomain, testServerNames, users, "")
	if err != nil {
		t.Fatalf("EnsureState: %v", err)
	}
	return st
}

func paths(dir string, rel ...string) []string {
	out := make([]string, len(rel))
	for i, r := range rel {
		out[i] = filepath.Join(dir, r)
	}
	return out
}

func sameCreated(t *testing.T, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("Created = %q, want %q", got, want)
	}
}

func TestEnsureStateFresh(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	st := ensure(t, dir, "alice", "bob")
	sameCreated(t, st.Created, paths(dir, "ca.crt", "ca.key", "server.crt", "server.key",
		"clients/alice.crt", "clients/alice.key", "clients/bob.crt", "clients/bob.key"))
	checkMode(t, dir, 0o700|fs.ModeDir)
	checkMode(t, filepath.Join(dir, "clients"), 0o700|fs.ModeDir)
	checkMode(t, filepath.Join(dir, "ca.key"), 0o600)
	checkMode(t, filepath.Join(dir, "server.crt"), 0o644)

	if cn := st.CA.Cert.Subject.CommonName; cn != "jabberd lab CA (example.org)" {
		t.Errorf("CA CN = %q", cn)
	}
	if st.Server.Cert.Subject.CommonName != testDomain {
		t.Errorf("server CN = %q", st.Server.Cert.Subject.CommonName)
	}
	roots := pool(st.CA.Cert)
	for _, host := range []string{testDomain, "localhost", "127.0.0.1", "::1"} {
		if _, err := st.Server.Cert.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err != nil {
			t.Errorf("server cert for %s: %v", host, err)
		}
	}
	for _, u := range []string{"alice", "bob"} {
		certPath, keyPath := ClientPaths(dir, u)
		if st.Clients[u] != certPath {
			t.Errorf("Clients[%s] = %q, want %q", u, st.Clients[u], certPath)
		}
		p, err := Load(certPath, keyPath)
		if err != nil {
			t.Fatal(err)
		}
		if addrs, err := XMPPAddrs(p.Cert); err != nil || !slices.Equal(addrs, []string{u + "@" + testDomain}) {
			t.Errorf("%s xmppAddr = %q, %v", u, addrs, err)
		}
		if _, err := VerifyClient(p.Cert, nil, roots, time.Now()); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func serials(t *testing.T, dir string, users ...string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	read := func(name, c, k string) {
		p, err := Load(c, k)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = p.Cert.SerialNumber.String()
	}
	read("ca", filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"))
	read("server", filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	for _, u := range users {
		c, k := ClientPaths(dir, u)
		read(u, c, k)
	}
	return out
}

func TestEnsureStateReuse(t *testing.T) {
	dir := t.TempDir()
	first := ensure(t, dir, "alice", "bob")
	before := serials(t, dir, "alice", "bob")

	second := ensure(t, dir, "alice", "bob")
	if len(second.Created) != 0 {
		t.Errorf("second call created %q", second.Created)
	}
	if second.CA.Cert.SerialNumber.Cmp(first.CA.Cert.SerialNumber) != 0 ||
		second.Server.Cert.SerialNumber.Cmp(first.Server.Cert.SerialNumber) != 0 {
		t.Error("second call returned different CA/server serials")
	}
	if after := serials(t, dir, "alice", "bob"); !mapsEqual(before, after) {
		t.Errorf("serials changed: %v -> %v", before, after)
	}
	if len(second.Clients) != 2 {
		t.Errorf("Clients = %v", second.Clients)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestEnsureStateServerDeleted(t *testing.T) {
	dir := t.TempDir()
	ensure(t, dir, "alice")
	before := serials(t, dir, "alice")
	if err := os.Remove(filepath.Join(dir, "server.crt")); err != nil {
		t.Fatal(err)
	}
	st := ensure(t, dir, "alice")
	sameCreated(t, st.Created, paths(dir, "server.crt", "server.key"))
	after := serials(t, dir, "alice")
	if after["ca"] != before["ca"] || after["alice"] != before["alice"] || after["server"] == before["server"] {
		t.Errorf("serials %v -> %v", before, after)
	}
}

func TestEnsureStateUsersChange(t *testing.T) {
	dir := t.TempDir()
	ensure(t, dir, "alice")
	before := serials(t, dir, "alice")
	st := ensure(t, dir, "alice", "carol", "carol")
	sameCreated(t, st.Created, paths(dir, "clients/carol.crt", "clients/carol.key"))
	after := serials(t, dir, "alice")
	if !mapsEqual(before, after) {
		t.Errorf("existing serials changed: %v -> %v", before, after)
	}
	// Dropping a user leaves its files alone and creates nothing.
	st = ensure(t, dir, "carol")
	if len(st.Created) != 0 || len(st.Clients) != 1 {
		t.Errorf("Created %q Clients %v", st.Created, st.Clients)
	}
	if _, err := os.Stat(filepath.Join(dir, "clients", "alice.crt")); err != nil {
		t.Error(err)
	}
}

func TestEnsureStateServerNamesChange(t *testing.T) {
	dir := t.TempDir()
	ensure(t, dir)
	st, err := EnsureState(dir, testDomain, append(testServerNames, "xmpp.example.org"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	sameCreated(t, st.Created, paths(dir, "server.crt", "server.key"))
	if err := st.Server.Cert.VerifyHostname("xmpp.example.org"); err != nil {
		t.Error(err)
	}
	// A subset of the names is still covered: nothing to do.
	st, err = EnsureState(dir, testDomain, []string{"LOCALHOST"}, nil, "")
	if err != nil || len(st.Created) != 0 {
		t.Errorf("subset: Created %q, %v", st.Created, err)
	}
}

func TestEnsureStateExpiringServer(t *testing.T) {
	dir := t.TempDir()
	st := ensure(t, dir)
	// Replace the server cert with one that is valid for only 12 more hours.
	short, err := IssueServer(st.CA, append([]string{testDomain}, testServerNames...), Options{Validity: 13 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := short.Save(filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")); err != nil {
		t.Fatal(err)
	}
	st = ensure(t, dir)
	sameCreated(t, st.Created, paths(dir, "server.crt", "server.key"))
	if st.Server.Cert.SerialNumber.Cmp(short.Cert.SerialNumber) == 0 {
		t.Error("short-lived server certificate was reused")
	}
}

func TestEnsureStateNewCAReissuesLeaves(t *testing.T) {
	dir := t.TempDir()
	ensure(t, dir, "alice")
	for _, f := range []string{"ca.crt", "ca.key"} {
		os.Remove(filepath.Join(dir, f))
	}
	st := ensure(t, dir, "alice")
	sameCreated(t, st.Created, paths(dir, "ca.crt", "ca.key", "server.crt", "server.key", "clients/alice.crt", "clients/alice.key"))
}

func TestEnsureStateWrongXMPPAddrReissued(t *testing.T) {
	dir := t.TempDir()
	st := ensure(t, dir, "alice")
	// Put bob's certificate where alice's belongs.
	bob, err := IssueClient(st.CA, "bob@"+testDomain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, k := ClientPaths(dir, "alice")
	if err := bob.Save(c, k); err != nil {
		t.Fatal(err)
	}
	st = ensure(t, dir, "alice")
	sameCreated(t, st.Created, []string{c, k})
	p, err := Load(c, k)
	if err != nil {
		t.Fatal(err)
	}
	if addrs, _ := XMPPAddrs(p.Cert); !slices.Equal(addrs, []string{"alice@" + testDomain}) {
		t.Errorf("xmppAddr = %q", addrs)
	}
}

func TestEnsureStateHalfPairs(t *testing.T) {
	t.Run("client key missing", func(t *testing.T) {
		dir := t.TempDir()
		ensure(t, dir, "alice")
		c, k := ClientPaths(dir, "alice")
		os.Remove(k)
		_, err := EnsureState(dir, testDomain, testServerNames, []string{"alice"}, "")
		if err == nil || !strings.Contains(err.Error(), k) || !strings.Contains(err.Error(), "missing") {
			t.Errorf("err = %v, want it to name %s", err, k)
		}
		if _, serr := os.Stat(c); serr != nil {
			t.Errorf("certificate was removed: %v", serr)
		}
	})
	t.Run("client cert missing", func(t *testing.T) {
		dir := t.TempDir()
		ensure(t, dir, "alice")
		c, _ := ClientPaths(dir, "alice")
		os.Remove(c)
		if _, err := EnsureState(dir, testDomain, nil, []string{"alice"}, ""); err == nil || !strings.Contains(err.Error(), c) {
			t.Errorf("err = %v, want it to name %s", err, c)
		}
	})
	t.Run("CA key missing", func(t *testing.T) {
		dir := t.TempDir()
		ensure(t, dir)
		k := filepath.Join(dir, "ca.key")
		os.Remove(k)
		if _, err := EnsureState(dir, testDomain, nil, nil, ""); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("err = %v, want it to name %s", err, k)
		}
	})
	t.Run("server key missing is reissued", func(t *testing.T) {
		dir := t.TempDir()
		ensure(t, dir)
		os.Remove(filepath.Join(dir, "server.key"))
		st := ensure(t, dir)
		sameCreated(t, st.Created, paths(dir, "server.crt", "server.key"))
	})
	t.Run("corrupt server is reissued", func(t *testing.T) {
		dir := t.TempDir()
		ensure(t, dir)
		os.WriteFile(filepath.Join(dir, "server.crt"), []byte("junk"), 0o644)
		st := ensure(t, dir)
		sameCreated(t, st.Created, paths(dir, "server.crt", "server.key"))
	})
	t.Run("corrupt client is an error", func(t *testing.T) {
		dir := t.TempDir()
		ensure(t, dir, "alice")
		c, _ := ClientPaths(dir, "alice")
		os.WriteFile(c, []byte("junk"), 0o644)
		_, err := EnsureState(dir, testDomain, nil, []string{"alice"}, "")
		if err == nil || !strings.Contains(err.Error(), "parse client alice certificate "+c) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestEnsureStateBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, users := range [][]string{{""}, {".."}, {"a/b"}, {"a@b"}, {"a b"}} {
		if _, err := EnsureState(dir, testDomain, nil, users, ""); err == nil {
			t.Errorf("users %q accepted", users)
		}
	}
	for _, domain := range []string{"", "a/b", "a@b"} {
		if _, err := EnsureState(dir, domain, nil, nil, ""); err == nil {
			t.Errorf("domain %q accepted", domain)
		}
	}
	if _, err := EnsureState("", testDomain, nil, nil, ""); err == nil {
		t.Error("empty dir accepted")
	}
	if _, err := EnsureState(dir, testDomain, nil, nil, "dsa"); err == nil || !strings.Contains(err.Error(), `"dsa"`) {
		t.Errorf("bad key type: %v", err)
	}
	if _, err := EnsureState(dir, testDomain, []string{"bad name"}, nil, ""); err == nil {
		t.Error("bad server name accepted")
	}
}

// Start-up cost matters: the server calls EnsureState every time.
func BenchmarkEnsureStateCold(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		if _, err := EnsureState(dir, testDomain, testServerNames, []string{"alice", "bob"}, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEnsureStateWarm(b *testing.B) {
	dir := b.TempDir()
	if _, err := EnsureState(dir, testDomain, testServerNames, []string{"alice", "bob"}, ""); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := EnsureState(dir, testDomain, testServerNames, []string{"alice", "bob"}, ""); err != nil {
			b.Fatal(err)
		}
	}
}
