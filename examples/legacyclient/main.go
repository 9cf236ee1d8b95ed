// Command legacyclient walks through the legacy Jabber login against jabberd
// (or any server that speaks it) and prints every line of the exchange: the
// XEP-0035 STARTTLS upgrade, XEP-0034 SASL (EXTERNAL with a client
// certificate, or PLAIN), the jabber:iq:auth session start, and optionally a
// message.
//
//	go run ./examples/legacyclient -ca jabberd-state/ca.crt \
//	    -cert jabberd-state/clients/alice.crt -key jabberd-state/clients/alice.key -mech EXTERNAL
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

type options struct {
	addr, domain, ca, cert, key string
	mech, user, password, res   string
	to, body                    string
	wait                        time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "localhost:5222", "server address")
	flag.StringVar(&o.domain, "domain", "localhost", "XMPP domain (the header's to='', and the TLS server name)")
	flag.StringVar(&o.ca, "ca", "jabberd-state/ca.crt", "CA to verify the server certificate with")
	flag.StringVar(&o.cert, "cert", "", "client certificate (PEM), e.g. jabberd-state/clients/alice.crt")
	flag.StringVar(&o.key, "key", "", "client key (PEM)")
	flag.StringVar(&o.mech, "mech", "", "SASL mechanism: EXTERNAL or PLAIN; empty stops after the upgrade")
	flag.StringVar(&o.user, "user", "", "user name (PLAIN; with EXTERNAL, the session's user)")
	flag.StringVar(&o.password, "password", "", "password (PLAIN)")
	flag.StringVar(&o.res, "resource", "legacyclient", "resource of the session")
	flag.StringVar(&o.to, "to", "", "send a message to this JID after the session starts")
	flag.StringVar(&o.body, "body", "hello from legacyclient", "the message's body")
	flag.DurationVar(&o.wait, "wait", 0, "after the session starts, print what arrives for this long")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "legacyclient:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	pem, err := os.ReadFile(o.ca)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s holds no certificate", o.ca)
	}
	cfg := &tls.Config{ServerName: o.domain, RootCAs: roots}
	if o.cert != "" {
		c, err := tls.LoadX509KeyPair(o.cert, o.key)
		if err != nil {
			return err
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	conn, err := net.DialTimeout("tcp", o.addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))

	const tlsNS = " xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt'"
	header := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" +
		tlsNS + " to='" + o.domain + "'>"
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
	header = strings.Replace(header, tlsNS, "", 1)
	if o.mech == "" {
		send(tc, header)
		if _, err := readUntil(tc, ">"); err != nil {
			return err
		}
		send(tc, "</stream:stream>")
		_, _ = readUntil(tc, "</stream:stream>")
		return nil
	}
	return login(tc, header, o)
}

// login is XEP-0034 SASL, then the jabber:iq:auth session start.
func login(c net.Conn, header string, o options) error {
	header = strings.Replace(header, " to=", " xmlns:sasl='http://www.iana.org/assignments/sasl-mechanisms' to=", 1)
	send(c, header)
	if _, err := readUntil(c, "</sasl:mechanisms>"); err != nil {
		return err
	}
	switch strings.ToUpper(o.mech) {
	case "EXTERNAL":
		send(c, "<sasl:auth mechanism='EXTERNAL'/>")
	case "PLAIN":
		ir := base64.StdEncoding.EncodeToString([]byte("\x00" + o.user + "\x00" + o.password))
		fmt.Println("C: <sasl:auth mechanism='PLAIN'>[credentials]</sasl:auth>")
		_, _ = io.WriteString(c, "<sasl:auth mechanism='PLAIN'>"+ir+"</sasl:auth>")
	default:
		return fmt.Errorf("mechanism %q: use EXTERNAL or PLAIN", o.mech)
	}
	got, err := readUntil(c, "/>", "</sasl:failure>")
	if err != nil {
		return err
	}
	if !strings.Contains(got, "success") {
		return fmt.Errorf("authentication failed")
	}
	user := o.user
	if user == "" {
		send(c, "<iq id='a1' type='get'><query xmlns='jabber:iq:auth'/></iq>")
		got, err := readUntil(c, "</iq>")
		if err != nil {
			return err
		}
		user = between(got, "<username>", "</username>")
	}
	send(c, "<iq id='a2' type='set'><query xmlns='jabber:iq:auth'><username>"+user+"</username><resource>"+o.res+"</resource></query></iq>")
	if got, err := readUntil(c, "/>", "</iq>"); err != nil || !strings.Contains(got, "type='result'") {
		return fmt.Errorf("session start refused: %v", err)
	}
	if o.to != "" {
		send(c, "<message to='"+o.to+"' type='chat'><body>"+o.body+"</body></message>")
	}
	if o.wait > 0 {
		// Available, so that messages to the bare JID (and those stored
		// while offline) come to this session (RFC 6121 §8.5).
		send(c, "<presence/>")
		_ = c.SetReadDeadline(time.Now().Add(o.wait))
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				fmt.Println("S:", string(buf[:n]))
			}
			if err != nil {
				break
			}
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	}
	send(c, "</stream:stream>")
	_, _ = readUntil(c, "</stream:stream>")
	return nil
}

func send(w io.Writer, s string) {
	fmt.Println("C:", s)
	_, _ = io.WriteString(w, s)
}

// readUntil reads until the text received ends with one of suffixes, and
// prints it.
func readUntil(r io.Reader, suffixes ...string) (string, error) {
	var b bytes.Buffer
	one := make([]byte, 1)
	for {
		for _, s := range suffixes {
			if strings.HasSuffix(b.String(), s) {
				fmt.Println("S:", b.String())
				return b.String(), nil
			}
		}
		if _, err := r.Read(one); err != nil {
			fmt.Println("S:", b.String())
			return b.String(), fmt.Errorf("reading from server: %w", err)
		}
		b.Write(one)
	}
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}
