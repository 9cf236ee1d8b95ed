package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A small RFC 6120 client for the binary's tests: STARTTLS, SASL PLAIN,
// bind, stanzas, each step asserting what the server sent.

const rfcHeader = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"

// xmppClient is one client connection.
type xmppClient struct {
	t    *testing.T
	c    net.Conn
	cert *x509.Certificate // the server certificate of the handshake
}

// dialTLS connects to addr and upgrades with STARTTLS, trusting roots
// (nil: any certificate, which the test then looks at).
func dialTLS(t *testing.T, addr string, roots *x509.CertPool) *xmppClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	x := &xmppClient{t: t, c: c}
	x.send(rfcHeader)
	x.read("</stream:features>")
	x.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	x.read("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	tc := tls.Client(c, &tls.Config{ServerName: "localhost", RootCAs: roots, InsecureSkipVerify: roots == nil})
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	_ = tc.SetDeadline(time.Time{})
	x.c, x.cert = tc, tc.ConnectionState().PeerCertificates[0]
	x.send(rfcHeader)
	x.read("</stream:features>")
	return x
}

func (x *xmppClient) send(s string) {
	x.t.Helper()
	_ = x.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(x.c, s); err != nil {
		x.t.Fatalf("send %q: %v", s, err)
	}
}

// read reads until want has come, and returns what came.
func (x *xmppClient) read(want string) string {
	x.t.Helper()
	return readAll(x.t, x.c, want)
}

// plain tries SASL PLAIN and reports whether it succeeded.
func (x *xmppClient) plain(user, password string) bool {
	x.t.Helper()
	payload := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	x.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + payload + "</auth>")
	got := x.read("/>")
	if strings.Contains(got, "<success") {
		return true
	}
	x.read("</failure>")
	return false
}

// login logs in with PLAIN and binds resource; it fails the test if the
// login fails.
func (x *xmppClient) login(user, password, resource string) {
	x.t.Helper()
	if !x.plain(user, password) {
		x.t.Fatalf("%s could not log in with %q", user, password)
	}
	x.send(rfcHeader)
	x.read("</stream:features>")
	x.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource + "</resource></bind></iq>")
	x.read("</iq>")
}

// ping sends an XMPP ping to the server and waits for its result.
func (x *xmppClient) ping(id string) {
	x.t.Helper()
	x.send("<iq type='get' id='" + id + "' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	if got := x.read("id='" + id + "'"); !strings.Contains(got, "type='result'") {
		got += x.read(">")
		if !strings.Contains(got, "type='result'") {
			x.t.Fatalf("ping %s: %q", id, got)
		}
	}
}

// certRoots is the lab CA of a state directory.
func certRoots(t *testing.T, state string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(state, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	return roots
}

// waitFor waits until s() matches re and returns the first submatch (or
// the match).
func waitFor(t *testing.T, what string, s func() string, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := rx.FindStringSubmatch(s()); m != nil {
			return m[len(m)-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q in:\n%s", what, re, s())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
