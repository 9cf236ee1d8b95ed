package bench

import (
	"context"
	"crypto/tls"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// startFloor serves the floor reference with the certificate of an
// in-process jabberd and returns a target for it, with the client's TLS
// of that server (its lab CA).
func startFloor(t *testing.T, password string) Target {
	t.Helper()
	tg, st := startServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	cfg := st.Clone()
	cfg.ClientAuth = tls.RequestClientCert
	go ServeFloor(l, cfg, password)
	tg.Addr = l.Addr().String()
	return tg
}

// TestFloorLogins: the bench's client logs in to the floor in both flows
// with the right password, and with a wrong one never; the floor's
// handshake asks for a client certificate, as jabberd's does as shipped.
func TestFloorLogins(t *testing.T) {
	tg := startFloor(t, "bench-pw")
	var asked atomic.Int32
	tg.TLS = tg.TLS.Clone()
	tg.TLS.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		asked.Add(1)
		return &tls.Certificate{}, nil
	}
	tg.Accounts = 3
	for _, flow := range []string{"rfc6120", "legacy"} {
		ctx, progress := stopWhen(t, func(done, errs int64) bool { return done >= 4 || errs > 0 })
		r := Login(ctx, tg, flow, 2, time.Minute, 0, progress)
		if r.Done < 4 || r.Errors != 0 {
			t.Fatalf("%s: %+v", flow, r)
		}
	}
	if asked.Load() < 8 {
		t.Errorf("a client certificate asked for in %d handshakes of 8 or more", asked.Load())
	}
	tg.Password = "wrong"
	for _, flow := range []string{"rfc6120", "legacy"} {
		r := Login(context.Background(), tg, flow, 1, 200*time.Millisecond, 0, nil)
		if r.Done != 0 || r.Errors == 0 || r.FirstError == "" {
			t.Fatalf("%s, wrong password: %+v", flow, r)
		}
	}
}

// TestPlainMatches: the PLAIN answer is read after its element's '>' and
// its password compared; anything else is refused.
func TestPlainMatches(t *testing.T) {
	for _, c := range []struct {
		got  string
		want bool
	}{
		{"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGJlbmNoMABiZW5jaC1wdw==", true}, // \0bench0\0bench-pw
		{"<sasl:auth mechanism='PLAIN'>AGJlbmNoMABiZW5jaC1wdw==", true},
		{"<auth mechanism='PLAIN'>AGJlbmNoMAB3cm9uZw==", false}, // \0bench0\0wrong
		{"<auth mechanism='PLAIN'>AGJlbmNoMA==", false},         // \0bench0, no password
		{"<auth mechanism='PLAIN'>not base64!", false},
	} {
		if got := plainMatches([]byte(c.got), "bench-pw"); got != c.want {
			t.Errorf("%q: %v, want %v", c.got, got, c.want)
		}
	}
}
