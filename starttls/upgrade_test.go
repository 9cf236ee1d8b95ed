package starttls

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"jabberd/certs"
	"jabberd/tlspolicy"
)

// testServer makes a Server with a fresh lab CA and server certificate.
func testServer(t *testing.T, timeout time.Duration) (*Server, *x509.CertPool) {
	t.Helper()
	ca, err := certs.NewCA("test CA", certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := certs.IssueServer(ca, []string{"localhost"}, certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ServerConfig(leaf.TLSCertificate(), Settings{MinVersion: "1.2", ClientCerts: tlspolicy.ClientCertNone}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(cfg, timeout)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	return s, roots
}

// firstWriteAside hands its first write to first instead of the network:
// the bytes a protocol reader would have buffered after STARTTLS.
type firstWriteAside struct {
	net.Conn
	first chan []byte
	done  bool
}

func (c *firstWriteAside) Write(p []byte) (int, error) {
	if !c.done {
		c.done = true
		c.first <- append([]byte(nil), p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// upgradeWithEarly is upgradeWith with the early bytes the client's first
// write set aside.
func upgradeWithEarly(t *testing.T, s *Server, first chan []byte, f func(c net.Conn)) (*Result, error) {
	t.Helper()
	sc := accepted(t, f)
	select {
	case early := <-first:
		return s.Upgrade(context.Background(), sc, early, "")
	case <-time.After(5 * time.Second):
		t.Fatal("the client wrote no ClientHello")
		return nil, nil
	}
}

// upgradeWith runs Upgrade on one end of a loopback pair with early bytes,
// while the other end runs f.
func upgradeWith(t *testing.T, s *Server, early []byte, skip string, f func(c net.Conn)) (*Result, error) {
	t.Helper()
	return s.Upgrade(context.Background(), accepted(t, f), early, skip)
}

// accepted returns the server end of a loopback connection whose client
// end runs f; both are closed when the test ends.
func accepted(t *testing.T, f func(c net.Conn)) net.Conn {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		f(c)
	}()
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc
}

// TestEarlyBytesAreTheHandshake: bytes buffered after the STARTTLS request
// are the start of the handshake. A pipelined ClientHello works; plaintext
// there fails the handshake (it is never anything else).
func TestEarlyBytesAreTheHandshake(t *testing.T) {
	s, roots := testServer(t, 5*time.Second)
	ccfg := &tls.Config{ServerName: "localhost", RootCAs: roots}

	// A client whose ClientHello arrived with the request, buffered by the
	// protocol reader: its first write goes to early instead of the wire.
	first := make(chan []byte, 1)
	res, err := upgradeWithEarly(t, s, first, func(c net.Conn) {
		tc := tls.Client(&firstWriteAside{Conn: c, first: first}, ccfg)
		_ = tc.Handshake()
		_, _ = tc.Write([]byte("x"))
	})
	if err != nil || res.Version != tls.VersionTLS13 || len(res.Exporter()) != 32 || len(res.ServerEndPoint) != 32 {
		t.Fatalf("pipelined ClientHello: %+v, %v", res, err)
	}

	// Injection: plaintext where the ClientHello should be.
	_, err = upgradeWith(t, s, []byte("<iq type='get' id='x'/>"), "", func(c net.Conn) {
		_, _ = io.Copy(io.Discard, c)
	})
	if err == nil || !strings.Contains(err.Error(), "first record does not look like a TLS handshake") {
		t.Fatalf("injected plaintext: %v, want a failed handshake", err)
	}
}

// TestSkipLeadingWhitespace: only the listed bytes are dropped, only before
// the first other byte, whether buffered or still to come.
func TestSkipLeadingWhitespace(t *testing.T) {
	for _, tc := range []struct {
		early, later, skip, want string
		skipped                  int
	}{
		{"\n\x16abc", "def", " \n", "\x16abcdef", 1},
		{" ", "\r\n \x16x \n", " \t\r\n", "\x16x \n", 4},
		{"\n<iq/>", "", " \n", "<iq/>", 1},
		{"\n\x16", "", "", "\n\x16", 0},
	} {
		a, b := net.Pipe()
		go func() {
			_, _ = b.Write([]byte(tc.later))
			b.Close()
		}()
		rc := &replayConn{Conn: a, early: []byte(tc.early), skip: tc.skip}
		got, _ := io.ReadAll(rc)
		if !bytes.Equal(got, []byte(tc.want)) || rc.skipped != tc.skipped {
			t.Errorf("early %q later %q skip %q: read %q (skipped %d), want %q (skipped %d)", tc.early, tc.later, tc.skip, got, rc.skipped, tc.want, tc.skipped)
		}
		a.Close()
	}
}

// TestHandshakeDeadline: a client that never sends its ClientHello is cut
// at the timeout.
func TestHandshakeDeadline(t *testing.T) {
	s, _ := testServer(t, 200*time.Millisecond)
	t0 := time.Now()
	_, err := upgradeWith(t, s, nil, "", func(c net.Conn) { time.Sleep(2 * time.Second) })
	if err == nil || time.Since(t0) > time.Second {
		t.Fatalf("silent client: %v after %v", err, time.Since(t0))
	}
}

// TestReady: an expired server certificate is reported before any
// handshake is attempted.
func TestReady(t *testing.T) {
	s, _ := testServer(t, time.Second)
	if err := s.Ready(); err != nil {
		t.Fatalf("fresh certificate: %v", err)
	}
	ca, _ := certs.NewCA("test CA", certs.Options{})
	old, err := certs.IssueServer(ca, []string{"localhost"}, certs.Options{NotBefore: time.Now().Add(-72 * time.Hour), Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := ServerConfig(old.TLSCertificate(), Settings{MinVersion: "1.2", ClientCerts: tlspolicy.ClientCertNone}, nil)
	s2, err := NewServer(cfg, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Ready(); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired certificate: %v", err)
	}
}

// TestCipherName: the table gives crypto/tls's names, without allocating.
func TestCipherName(t *testing.T) {
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if got := (&Result{CipherSuite: s.ID}).CipherName(); got != s.Name {
			t.Errorf("%#04x: %q, want %q", s.ID, got, s.Name)
		}
	}
	if got := (&Result{CipherSuite: 0x1301}).CipherName(); got != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("0x1301: %q", got)
	}
	if got := (&Result{CipherSuite: 0xfafa}).CipherName(); got != "0xFAFA" {
		t.Errorf("unknown: %q", got)
	}
	if n := testing.AllocsPerRun(10, func() { _ = (&Result{CipherSuite: 0x1301}).CipherName() }); n != 0 {
		t.Errorf("%v allocations per call", n)
	}
}

// TestExporterIsTheClients: the tls-exporter data, derived only when asked
// for (after the handshake, as a SCRAM-*-PLUS login asks), is what the
// client derives on its side, and the same at every call.
func TestExporterIsTheClients(t *testing.T) {
	s, roots := testServer(t, 5*time.Second)
	ccfg := &tls.Config{ServerName: "localhost", RootCAs: roots}
	client := make(chan []byte, 1)
	res, err := upgradeWith(t, s, nil, "", func(c net.Conn) {
		tc := tls.Client(c, ccfg)
		if tc.Handshake() != nil {
			client <- nil
			return
		}
		cs := tc.ConnectionState()
		ekm, _ := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
		client <- ekm
		_, _ = tc.Write([]byte("x"))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := <-client
	got := res.Exporter()
	if len(want) != 32 || !bytes.Equal(got, want) || !bytes.Equal(res.Exporter(), want) {
		t.Fatalf("server's tls-exporter %x, the client's %x", got, want)
	}
}
