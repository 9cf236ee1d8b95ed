// Command legacyclient walks through the XEP-0035 STARTTLS upgrade against a
// jabberd (or any server that speaks it) and prints every step, so that the
// legacy flow can be watched by hand:
//
//	go run ./examples/legacyclient -addr localhost:5222 -ca jabberd-state/ca.crt
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "localhost:5222", "server address")
	domain := flag.String("domain", "localhost", "XMPP domain (the to='' of the header, and the TLS server name)")
	caFile := flag.String("ca", "jabberd-state/ca.crt", "CA to verify the server certificate with")
	cert := flag.String("cert", "", "client certificate (PEM), e.g. jabberd-state/clients/alice.crt")
	key := flag.String("key", "", "client key (PEM)")
	flag.Parse()
	if err := run(*addr, *domain, *caFile, *cert, *key); err != nil {
		fmt.Fprintln(os.Stderr, "legacyclient:", err)
		os.Exit(1)
	}
}

func run(addr, domain, caFile, certFile, keyFile string) error {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s holds no certificate", caFile)
	}
	cfg := &tls.Config{ServerName: domain, RootCAs: roots}
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return err
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))

	header := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" +
		" xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt' to='" + domain + "'>"
	send(conn, header)
	got, err := readUntil(conn, ">")
	if err != nil {
		return err
	}
	if !strings.Contains(got, "rfc2595") {
		return fmt.Errorf("the server did not echo xmlns:tls: STARTTLS is not offered")
	}
	send(conn, "<tls:starttls/>")
	if _, err := readUntil(conn, "</stream:stream>"); err != nil {
		return err
	}
	fmt.Println("-- the XML stream is closed; the TCP connection stays open for the TLS handshake")
	tc := tls.Client(conn, cfg)
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	st := tc.ConnectionState()
	fmt.Printf("-- %s %s, server certificate %q verified\n", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), st.PeerCertificates[0].Subject)
	send(tc, strings.Replace(header, " xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt'", "", 1))
	if _, err := readUntil(tc, ">"); err != nil {
		return err
	}
	send(tc, "</stream:stream>")
	_, _ = readUntil(tc, "</stream:stream>")
	return nil
}

func send(w io.Writer, s string) {
	fmt.Println("C:", s)
	_, _ = io.WriteString(w, s)
}

// readUntil reads until the text received ends with suffix, and prints it.
func readUntil(r io.Reader, suffix string) (string, error) {
	var b bytes.Buffer
	one := make([]byte, 1)
	for !strings.HasSuffix(b.String(), suffix) {
		if _, err := r.Read(one); err != nil {
			fmt.Println("S:", b.String())
			return b.String(), fmt.Errorf("reading from server: %w", err)
		}
		b.Write(one)
	}
	fmt.Println("S:", b.String())
	return b.String(), nil
}
