package main

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeMetrics runs the binary with the status page and reads
// /metrics after logins (one failed), a message stored for an offline
// user and delivered at their login, a plaintext connection, and a client
// that refused the cert-expired profile's certificate.
func TestServeMetrics(t *testing.T) {
	dir := t.TempDir()
	state, cfgFile := filepath.Join(dir, "state"), filepath.Join(dir, "jabberd.toml")
	body := "state_dir = '" + state + "'\n[limits]\nshutdown_grace = '1s'\n[[listen]]\naddress = '127.0.0.1:0'\n[lab]\nstatus_address = '127.0.0.1:0'\n" +
		"[[user]]\nname = 'alice'\npassword = 'a-pw'\n[[user]]\nname = 'bob'\npassword = 'b-pw'\n"
	if err := os.WriteFile(cfgFile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startBinary(t, state, nil, "-config", cfgFile)
	status := waitFor(t, "banner", srv.stdout.String, `status page http://(\S+)/ \(JSON: /api/connections; metrics: /metrics\)`)
	_, port, _ := net.SplitHostPort(srv.addr)
	roots := certRoots(t, state)

	alice := dialTLS(t, srv.addr, roots)
	alice.login("alice", "a-pw", "r")
	if dialTLS(t, srv.addr, roots).plain("bob", "wrong") {
		t.Fatal("a wrong password logged in")
	}
	alice.send("<message to='bob@localhost' type='chat' id='m1'><body>while you were out</body></message>")
	alice.ping("after-message") // the message was routed before this answer
	bob := dialTLS(t, srv.addr, roots)
	bob.login("bob", "b-pw", "r")
	bob.send("<presence/>")
	bob.read("while you were out</body>")

	plain, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(plain, rfcHeader)
	readAll(t, plain, "</stream:features>")
	plain.Close()

	expired, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	x := &xmppClient{t: t, c: expired}
	x.send(rfcHeader)
	x.read("</stream:features>")
	x.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	x.read("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	tc := tls.Client(expired, &tls.Config{ServerName: "cert-expired.localhost", RootCAs: roots})
	if err := tc.Handshake(); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("the cert-expired handshake: %v", err)
	}
	expired.Close()
	alice.c.Close()
	bob.c.Close()

	want := []string{
		`jabberd_logins_total{mechanism="PLAIN",protocol="xmpp",result="success"} 2`,
		`jabberd_logins_total{mechanism="PLAIN",protocol="xmpp",result="failure"} 1`,
		`jabberd_offline_messages_stored_total 1`,
		`jabberd_offline_messages_delivered_total 1`,
		`jabberd_tls_handshakes_total{outcome="ok",protocol="xmpp"} 3`,
		`jabberd_tls_handshakes_total{outcome="alert",protocol="xmpp"} 1`,
		`jabberd_lab_verdicts_total{profile="cert-expired",verdict="pass"} 1`,
		`jabberd_connections_total{dialect="rfc6120",listener="xmpp:` + port + `",phase="plaintext"} 2`, // the plaintext one, the refused handshake
		`jabberd_connections_total{dialect="rfc6120",listener="xmpp:` + port + `",phase="authenticated"} 2`,
		`jabberd_connections_open{listener="xmpp:` + port + `"} 1`, // the failed login's, still open
		`jabberd_certificate_expiry_timestamp_seconds{certificate="server"}`,
		`jabberd_build_info{goversion="go`,
		`jabberd_sessions 0`,
		`jabberd_accounts 2`,
	}
	var text string
	deadline := time.Now().Add(10 * time.Second)
	for {
		text = scrape(t, "http://"+status+"/metrics")
		missing := ""
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %s:\n%s", missing, grepJabberd(text))
		}
		time.Sleep(50 * time.Millisecond)
	}
	routed := regexp.MustCompile(`(?m)^jabberd_stanzas_routed_total (\d+)$`).FindStringSubmatch(text)
	if n, _ := strconv.Atoi(routed[1]); n < 3 { // the message, the ping, the presence
		t.Errorf("jabberd_stanzas_routed_total %s, want at least 3", routed[1])
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s %v", url, resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	return string(b)
}

// grepJabberd keeps jabberd's own lines of a scrape.
func grepJabberd(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "jabberd_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
