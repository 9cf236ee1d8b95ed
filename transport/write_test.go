package transport

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/internal/sockettest"
	"jabberd/starttls"
)

// countingConn counts the writes that reach the socket.
type countingConn struct {
	net.Conn
	writes atomic.Int32
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestLastWriteCarriesCloseNotify: over TLS, the stream's last words and
// the close_notify after them reach the socket in one write (a normal
// write stays one write), and the client reads both: the words, then the
// end of the TLS stream (io.EOF while the socket is still open: only
// close_notify gives that).
func TestLastWriteCarriesCloseNotify(t *testing.T) {
	cl, sc := sockettest.Connect(t, sockettest.Listen(t))
	counted := &countingConn{Conn: sc}
	c := New(&Settings{Context: context.Background(), Log: zerolog.Nop()}, counted, "t1", "127.0.0.1")
	up, err := starttls.NewServer(&tls.Config{Certificates: []tls.Certificate{selfSigned(t)}, MinVersion: tls.VersionTLS13}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(cl, &tls.Config{InsecureSkipVerify: true})
	done := make(chan error, 1)
	go func() { done <- tc.Handshake() }()
	if _, err := c.StartTLS(up, nil, "", nil); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 64)
	for _, step := range []struct {
		last bool
		text string
	}{{false, "hello"}, {true, "bye"}} {
		before := counted.writes.Load()
		write := c.Write
		if step.last {
			write = c.WriteLast
		}
		if err := write([]byte(step.text), nil); err != nil {
			t.Fatal(err)
		}
		if n := counted.writes.Load() - before; n != 1 {
			t.Errorf("%q (last %v): %d writes on the socket, want 1", step.text, step.last, n)
		}
		_ = tc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := tc.Read(got)
		if err != nil || string(got[:n]) != step.text {
			t.Fatalf("read %q, %v; want %q", got[:n], err, step.text)
		}
		if step.last {
			if _, err := tc.Read(got); err != io.EOF {
				t.Fatalf("after the last words: %v, want io.EOF (close_notify)", err)
			}
		}
	}
	c.Close()
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
