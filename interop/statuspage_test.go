package interop

// The lab status page ([lab] status_address) of the real server, read by
// headless Chromium (Debian package chromium): one XMPP connection upgrades
// with STARTTLS over loopback, then --dump-dom prints the DOM Chromium
// built from the page (after parsing, under the page's
// Content-Security-Policy), and the test looks for the connection's row
// and its transcript there.

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/lab"
)

// chromium is Debian's launcher script; it sets the flags Debian wants.
const chromium = "/usr/bin/chromium"

func TestStatusPageChromium(t *testing.T) {
	t.Parallel()
	bin := needClient(t, chromium, "chromium")
	j := startJabberd(t, serverOptions{configure: func(c *config.Config) {
		c.Lab.StatusAddress = "127.0.0.1:0"
		if c.Lab.Transcripts == 0 {
			c.Lab.Transcripts = 10
		}
	}})

	// The page's address: the log says it, and the server agrees.
	listening := j.waitLog(t, 1, fields{"message": "status page listening"})[0]
	base := strings.TrimSuffix(listening.Str("url"), "/")
	addr := j.set.StatusAddr()
	if addr == nil || base != "http://"+addr.String() {
		t.Fatalf("status page: log url %q, StatusAddr %v", listening.Str("url"), addr)
	}

	local, version := startTLSOnce(t, j)
	sum := waitConnection(t, base, local)
	t.Logf("connection %s: %+v", sum.ID, sum)
	if sum.Dialect != "rfc6120" || !strings.HasPrefix(sum.TLS, version+" ") || sum.Listener != "xmpp" {
		t.Errorf("/api/connections: %s has dialect %q, TLS %q, listener %q; want rfc6120, %s, xmpp", sum.ID, sum.Dialect, sum.TLS, sum.Listener, version)
	}

	// The index page: the connection's row with its dialect and TLS.
	dom := dumpDOM(t, bin, base+"/")
	row := element(t, dom, `<tr id="conn-`+sum.ID+`"`, "</tr>")
	for _, want := range []string{
		`<td class="dialect">rfc6120</td>`,
		`<td class="tls">` + version + ` `,
		`<td class="remote">` + local + `</td>`,
		`<a href="/connections/` + url.PathEscape(sum.ID) + `">`,
	} {
		if !strings.Contains(row, want) {
			t.Errorf("Chromium's DOM: row conn-%s lacks %s:\n%s", sum.ID, want, row)
		}
	}
	if !strings.Contains(dom, `id="profile-strip-starttls"`) {
		t.Errorf("Chromium's DOM: the profile list is missing:\n%s", dom)
	}

	// The transcript: the client's STARTTLS request in plaintext, the
	// server's <proceed/>, then the TLS phase.
	dom = dumpDOM(t, bin, base+"/connections/"+url.PathEscape(sum.ID))
	element(t, dom, `<dd class="dialect">rfc6120</dd>`, "")
	request := recordRow(dom, lab.DirIn, "&lt;starttls ")
	proceed := recordRow(dom, lab.DirOut, "&lt;proceed ")
	if request == "" || proceed == "" {
		t.Fatalf("Chromium's DOM: transcript of %s lacks the STARTTLS request (found: %v) or the proceed (found: %v):\n%s", sum.ID, request != "", proceed != "", dom)
	}
	for name, r := range map[string]string{"request": request, "proceed": proceed} {
		if !strings.Contains(r, `data-phase="plaintext"`) {
			t.Errorf("Chromium's DOM: the STARTTLS %s is not in the plaintext phase:\n%s", name, r)
		}
	}
	if strings.Index(dom, request) > strings.Index(dom, proceed) {
		t.Errorf("Chromium's DOM: the proceed comes before the request")
	}
	if !strings.Contains(dom, `<tr class="phase-change" data-phase="tls">`) || !strings.Contains(dom, "TLS established: "+version) {
		t.Errorf("Chromium's DOM: transcript of %s does not mark the TLS phase with %s:\n%s", sum.ID, version, dom)
	}
}

// startTLSOnce is a minimal RFC 6120 client: stream header, features,
// <starttls/>, <proceed/>, a handshake verified against the lab CA, a new
// stream, its features, and a clean close. It returns its local address
// (the server's "remote") and the TLS version's name.
func startTLSOnce(t *testing.T, j *jabberd) (local, version string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", j.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(clientTimeout))
	header := "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"

	send := func(w io.Writer, s string) {
		t.Helper()
		if _, err := io.WriteString(w, s); err != nil {
			t.Fatalf("client: write %q: %v", s, err)
		}
	}
	// until reads (one Read at a time, so nothing past want is consumed:
	// after <proceed/> the server sends nothing before the ClientHello).
	until := func(r io.Reader, want string) string {
		t.Helper()
		var got bytes.Buffer
		buf := make([]byte, 4096)
		for !strings.Contains(got.String(), want) {
			n, err := r.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				t.Fatalf("client: waiting for %q: %v; got %q", want, err, got.String())
			}
		}
		return got.String()
	}

	send(c, header)
	if f := until(c, "</stream:features>"); !strings.Contains(f, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'") {
		t.Fatalf("client: features without STARTTLS: %q", f)
	}
	send(c, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	until(c, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")

	pem, err := os.ReadFile(j.caFile())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", j.caFile())
	}
	tc := tls.Client(c, &tls.Config{ServerName: "localhost", RootCAs: roots, MinVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("client: TLS handshake: %v", err)
	}
	version = tls.VersionName(tc.ConnectionState().Version)

	send(tc, header)
	if f := until(tc, "</stream:features>"); strings.Contains(f, "<starttls") {
		t.Errorf("client: STARTTLS offered again over TLS: %q", f)
	}
	send(tc, "</stream:stream>")
	// The server answers with its own close, then closes the connection.
	var rest bytes.Buffer
	if _, err := io.Copy(&rest, tc); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Logf("client: after </stream:stream>: %v (got %q)", err, rest.String())
	}
	return c.LocalAddr().String(), version
}

// waitConnection polls the JSON API until the connection from remote is
// there with its TLS, ended if that comes soon.
func waitConnection(t *testing.T, base, remote string) lab.Summary {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	var last string
	var found *lab.Summary
	deadline := time.Now().Add(logTimeout)
	for time.Now().Before(deadline) {
		res, err := client.Get(base + "/api/connections")
		if err != nil {
			t.Fatalf("GET /api/connections: %v", err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/connections: %d %v: %s", res.StatusCode, err, body)
		}
		last = string(body)
		var list lab.ConnectionList
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatalf("GET /api/connections: %v: %s", err, body)
		}
		for _, s := range list.Connections {
			if s.Remote == remote && s.TLS != "none" {
				found = &s
			}
		}
		if found != nil && !found.Live {
			return *found
		}
		time.Sleep(50 * time.Millisecond)
	}
	if found == nil {
		t.Fatalf("GET /api/connections: no connection from %s with TLS within %v; last answer:\n%s", remote, logTimeout, last)
	}
	t.Logf("connection %s still live after the client closed (%v)", found.ID, logTimeout)
	return *found
}

// dumpDOM runs headless Chromium on u and returns the DOM it printed.
func dumpDOM(t *testing.T, bin, u string) string {
	t.Helper()
	r := runClient(t, runOptions{env: []string{"HOME=" + t.TempDir()}}, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-proxy-server", "--user-data-dir="+t.TempDir(), "--dump-dom", u)
	dom := r.stdout.String()
	if r.exitCode() != 0 || !strings.Contains(dom, "</html>") {
		t.Fatalf("chromium --dump-dom %s failed:\n%s", u, r)
	}
	return dom
}

// element returns the part of dom from start to the first end after it
// (or just start when end is "").
func element(t *testing.T, dom, start, end string) string {
	t.Helper()
	i := strings.Index(dom, start)
	if i < 0 {
		t.Fatalf("Chromium's DOM lacks %s:\n%s", start, dom)
	}
	if end == "" {
		return start
	}
	n := strings.Index(dom[i:], end)
	if n < 0 {
		t.Fatalf("Chromium's DOM: %s is not closed by %s", start, end)
	}
	return dom[i : i+n]
}

// recordRow returns the first transcript row of direction dir whose data
// contains data ("" when none).
func recordRow(dom, dir, data string) string {
	for _, part := range strings.Split(dom, "<tr ")[1:] {
		r, _, _ := strings.Cut(part, "</tr>")
		if strings.Contains(r, fmt.Sprintf(`data-dir="%s"`, dir)) && strings.Contains(r, data) {
			return "<tr " + r
		}
	}
	return ""
}
