package lab

import (
	"crypto"
	"crypto/tls"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"jabberd/certs"
)

// benchTLSState is a state directory with the lab CA and the server
// certificate app makes (the domain, localhost and the loopback addresses,
// with every profile's SNI names), and the server's configuration.
func benchTLSState(b *testing.B) (string, *certs.State, *tls.Config, []string) {
	dir := b.TempDir()
	names := []string{"localhost", "localhost", "127.0.0.1", "::1"}
	st, err := certs.EnsureState(dir, "localhost", append(names, SNINames("localhost", names)...), nil, "")
	if err != nil {
		b.Fatal(err)
	}
	return dir, st, &tls.Config{Certificates: []tls.Certificate{st.Server.TLSCertificate()}, MinVersion: tls.VersionTLS12}, names
}

// BenchmarkNewTLS is what the handshake profiles cost a server's start-up:
// every fault certificate issued and written, every configuration built.
// first is a server's first start on a state directory (the RSA keys made
// too), again every later start (the keys read back); in a process that
// has made them (tests), a new state directory gets those keys, at about
// again's cost.
//
//	go test -run '^$' -bench NewTLS -benchtime 40x -count 10 ./lab/
func BenchmarkNewTLS(b *testing.B) {
	_, st, base, names := benchTLSState(b)
	for _, first := range []bool{true, false} {
		name := "again"
		if first {
			name = "first"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			b.ReportAllocs()
			for b.Loop() {
				if first {
					rsa2048 = sync.OnceValues(func() (crypto.Signer, error) { return certs.NewKey(certs.RSA2048) })
					rsa1024 = sync.OnceValues(func() (crypto.Signer, error) { return certs.NewKey(certs.RSA1024Weak) })
					if err := os.RemoveAll(filepath.Join(dir, FaultDir)); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := NewTLS(base, dir, st.CA, names, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStandardChoice is the lab's part of a handshake on the standard
// profile with client choice on (jabberd's default): the choice reads the
// SNI and returns the server's own configuration (nil). It must not grow
// with the set of profiles' certificates.
func BenchmarkStandardChoice(b *testing.B) {
	dir, st, base, names := benchTLSState(b)
	labTLS, err := NewTLS(base, dir, st.CA, names, 0)
	if err != nil {
		b.Fatal(err)
	}
	for _, sni := range []string{"localhost", "xmpp.example.org"} {
		b.Run(sni, func(b *testing.B) {
			hello := &tls.ClientHelloInfo{ServerName: sni}
			b.ReportAllocs()
			for b.Loop() {
				choice := NewChoice(ChoiceOptions{ClientChoice: true, TLS: labTLS}, nil, func(Effect) {}, benchConn{})
				cfg, err := choice.Upgrader()(hello)
				if cfg != nil || err != nil || choice.Profile() != nil {
					b.Fatalf("%v %v %v", cfg, err, choice.Profile())
				}
			}
		})
	}
}

// benchConn is a connection in its handshake.
type benchConn struct{}

func (benchConn) Log() *zerolog.Logger {
	nop := zerolog.Nop()
	return &nop
}
func (benchConn) Secure() bool { return false }
