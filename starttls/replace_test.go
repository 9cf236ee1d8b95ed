package starttls

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"jabberd/certs"
	"jabberd/tlspolicy"
)

// TestReplace checks that a replaced configuration is what the next
// handshake presents, with the channel binding of that certificate, while
// a connection established before goes on over the old one.
func TestReplace(t *testing.T) {
	s, roots := testServer(t, 5*time.Second)
	before := s.Certificate()

	// A connection established before the replacement.
	established := make(chan *tls.Conn, 1)
	res, err := upgradeWith(t, s, nil, "", func(c net.Conn) {
		tc := tls.Client(c, &tls.Config{ServerName: "localhost", RootCAs: roots})
		if tc.Handshake() != nil {
			return
		}
		established <- tc
		_, _ = io.Copy(tc, tc) // echo until closed
	})
	if err != nil {
		t.Fatal(err)
	}
	client := <-established

	ca, err := certs.NewCA("second CA", certs.Options{})
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
	if err := s.Replace(cfg); err != nil {
		t.Fatal(err)
	}
	if err := s.Replace(&tls.Config{}); err == nil {
		t.Error("a configuration without a certificate was accepted")
	}
	if !s.Certificate().Equal(leaf.Cert) {
		t.Error("Certificate() is not the new certificate")
	}

	// The next handshake presents the new certificate.
	seen := make(chan []byte, 1)
	res2, err := upgradeWith(t, s, nil, "", func(c net.Conn) {
		tc := tls.Client(c, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
		if tc.Handshake() == nil {
			seen <- tc.ConnectionState().PeerCertificates[0].Raw
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if raw := <-seen; !bytes.Equal(raw, leaf.Cert.Raw) || bytes.Equal(raw, before.Raw) {
		t.Error("the handshake after Replace did not present the new certificate")
	}
	if bytes.Equal(res2.ServerEndPoint, res.ServerEndPoint) {
		t.Error("tls-server-end-point did not follow the certificate")
	}

	// The old connection still works.
	if _, err := res.Conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	_ = res.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(res.Conn, buf); err != nil || string(buf) != "ping" {
		t.Errorf("the connection from before: %q, %v", buf, err)
	}
	client.Close()
}
