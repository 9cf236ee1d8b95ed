package server_test

// The end-to-end harness: a real server from app.FromConfig on a loopback
// port, its JSON log in a buffer the tests can wait on, and a client that
// speaks raw bytes over TCP and then real TLS.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"jabberd/app"
	"jabberd/config"
	"jabberd/internal/logtest"
	"jabberd/internal/testserver"
	"jabberd/server"
)

// ioTimeout bounds every client read and write: a broken server fails the
// test instead of hanging it.
const ioTimeout = 5 * time.Second

// Wire texts. {ID} stands for the random stream id in expected headers.
const (
	legacyHeader = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt' to='localhost'>"
	// legacyAnswerTLS echoes xmlns:tls: STARTTLS is on offer.
	legacyAnswerTLS = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt' id='{ID}' from='localhost'>"
	// legacyAnswer is the header without the echo (no STARTTLS on offer).
	legacyAnswer = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='{ID}' from='localhost'>"
	// xmlDecl opens every RFC 6120 stream the server sends (RFC 6120
	// §11.5); legacy headers come bare, as XEP-0035 shows them.
	xmlDecl   = "<?xml version='1.0'?>"
	rfcHeader = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"
	rfcAnswer = xmlDecl + "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='{ID}' from='localhost' version='1.0' xml:lang='en'>"
	// errorHeader precedes a stream error when the client sent no header
	// (RFC 6120 §4.9.1.1); without a client header the dialect is not
	// legacy, so it carries version='1.0'.
	errorHeader = xmlDecl + "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='{ID}' from='localhost' version='1.0'>"
	// legacyErrorHeader is the same in a legacy stream (after a legacy
	// STARTTLS, where the client has not sent its new header yet).
	legacyErrorHeader = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='{ID}' from='localhost'>"

	legacyStartTLS = "<tls:starttls/>"
	rfcStartTLS    = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
	rfcProceed     = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
	closeTag       = "</stream:stream>"
)

// streamError is a <stream:error> with text (already XML-escaped) and the
// closing tag that follows it.
func streamError(condition, escapedText string) string {
	return "<stream:error><" + condition + " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
		"<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>" + escapedText + "</text></stream:error>" + closeTag
}

// ---- log buffer ----

// logBuffer is the server's JSON log, shared with the tests' waits.
type logBuffer struct{ *logtest.Buffer }

func newLogBuffer() *logBuffer { return &logBuffer{logtest.New()} }

type logEntry = logtest.Entry

func (b *logBuffer) text() string { return b.String() }

// match selects log entries: by message and by fields (string values).
type match struct {
	msg    string
	fields map[string]string
}

func (m match) ok(e logEntry) bool {
	return (m.msg == "" || e.Str("message") == m.msg) && e.Has(m.fields)
}

func (b *logBuffer) all(t testing.TB, m match) []logEntry {
	t.Helper()
	return b.Select(t, m.ok)
}

// waitN waits (on log writes, not on a clock) until n entries match and
// returns them.
func (b *logBuffer) waitN(t testing.TB, n int, m match) []logEntry {
	t.Helper()
	return b.WaitN(t, ioTimeout, n, fmt.Sprintf("%q %v", m.msg, m.fields), m.ok)
}

func (b *logBuffer) wait(t testing.TB, m match) logEntry {
	t.Helper()
	return b.waitN(t, 1, m)[0]
}

// ---- server ----

// harness is the shared test server (internal/testserver) with the names
// this suite's tests use.
type harness struct {
	*testserver.Server
	t    *testing.T
	cfg  *config.Config
	set  *app.Setup
	addr string
	logs *logBuffer
}

// start runs a server from config.Default() with a temporary state
// directory, one listener on 127.0.0.1:0 and a debug-level JSON log; mod
// changes the configuration further before the server is built.
func start(t *testing.T, mod func(*config.Config)) *harness {
	t.Helper()
	return startWith(t, mod, nil)
}

// startWith is start with a chance to touch the server before Listen (test
// hooks must be in place before any connection goroutine exists).
func startWith(t *testing.T, mod func(*config.Config), beforeListen func(*app.Setup)) *harness {
	t.Helper()
	s := testserver.Start(t, testserver.Options{Configure: mod, Before: beforeListen})
	if len(s.Addrs) != 1 {
		t.Fatalf("Listen returned %d addresses, want 1", len(s.Addrs))
	}
	return &harness{Server: s, t: t, cfg: s.Cfg, set: s.Set, addr: s.Addr(), logs: &logBuffer{s.Logs}}
}

func (h *harness) shutdown(ctx context.Context) error { return h.Shutdown(ctx) }
func (h *harness) allowError(msg string)              { h.AllowError(msg) }
func (h *harness) tlsConfig(cert *tls.Certificate) *tls.Config {
	return h.TLSConfig(cert)
}
func (h *harness) clientCert(user string) (tls.Certificate, *x509.Certificate) {
	h.t.Helper()
	return h.ClientCert(user)
}

// waitConnCount polls the server's connection count (there is no event
// for a connection being forgotten) for up to ioTimeout.
func (h *harness) waitConnCount(t testing.TB, want int) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for {
		n := h.set.Server.ConnCount()
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ConnCount = %d after %v, want %d", n, ioTimeout, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitParkedReaders waits until n connection goroutines are parked in a
// network read (the goroutine dump shows them in "IO wait" under
// (*conn).read, or under (*conn).awaitInput for a bound session), or parked
// in the poller without a goroutine (a bound session past the idle grace). Tests
// that stop connections use it so that the stop meets a connection blocked
// in its read, not one between two reads.
func (h *harness) waitParkedReaders(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	buf := make([]byte, 1<<20)
	for {
		m := runtime.Stack(buf, true)
		parked := 0
		for _, g := range strings.Split(string(buf[:m]), "\n\n") {
			if strings.Contains(g, "[IO wait") && (strings.Contains(g, "jabberd/server.(*conn).read(") || strings.Contains(g, "jabberd/server.(*conn).awaitInput(")) {
				parked++
			}
		}
		// A bound session idle past the grace has no goroutine: it waits
		// in transport's poller.
		if parked+server.Parked(h.set.Server) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connection goroutines parked in a read after %v, want %d", parked, ioTimeout, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// connLogs are the log entries of the connection whose client end is c.
func (h *harness) connMatch(c *client, msg string) match {
	return match{msg: msg, fields: map[string]string{"remote": c.remote}}
}

// ---- client ----

type client struct {
	t      testing.TB
	tcp    net.Conn
	conn   net.Conn // tcp, then the TLS connection over it
	remote string   // our address as the server logs it
}

func (h *harness) dial(t testing.TB) *client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", h.addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", h.addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, tcp: nc, conn: nc, remote: nc.LocalAddr().String()}
}

func (c *client) send(s string) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// expect reads exactly len(want) bytes and compares them with want.
func (c *client) expect(want string) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	got := make([]byte, len(want))
	n, err := io.ReadFull(c.conn, got)
	if err != nil {
		c.t.Fatalf("reading %q: got %q, then %v", want, got[:n], err)
	}
	if string(got) != want {
		c.t.Fatalf("server sent\n  %q\nwant\n  %q", got, want)
	}
}

var streamIDRe = regexp.MustCompile(`id='([0-9a-f]{16,64})'`)

// expectHeader reads one stream header (up to its '>', after the XML
// declaration if want has one), takes the stream id out, and compares the
// rest exactly with want, in which {ID} stands for it.
func (c *client) expectHeader(want string) (id string) {
	c.t.Helper()
	if rest, ok := strings.CutPrefix(want, xmlDecl); ok {
		c.expect(xmlDecl)
		want = rest
	}
	got := c.readTag()
	m := streamIDRe.FindStringSubmatch(got)
	if m == nil {
		c.t.Fatalf("server header has no hex stream id: %q (want %q)", got, want)
	}
	if norm := strings.Replace(got, m[0], "id='{ID}'", 1); norm != want {
		c.t.Fatalf("server header\n  %q\nwant\n  %q", norm, want)
	}
	return m[1]
}

// readTag reads byte by byte (nothing buffered past it, so TLS can take
// over the connection) up to and including the first '>'.
func (c *client) readTag() string {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	var b []byte
	one := make([]byte, 1)
	for len(b) < 4096 {
		if _, err := io.ReadFull(c.conn, one); err != nil {
			c.t.Fatalf("reading a tag: got %q, then %v", b, err)
		}
		b = append(b, one[0])
		if one[0] == '>' {
			return string(b)
		}
	}
	c.t.Fatalf("no '>' in 4096 bytes: %q", b)
	return ""
}

// readUntilClosed returns everything the server sends until it closes the
// connection, and the error that ended the reading (io.EOF for a clean
// close). A read deadline fails the test.
func (c *client) readUntilClosed() (string, error) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	var b bytes.Buffer
	_, err := io.Copy(&b, c.conn)
	if err == nil {
		err = io.EOF // io.Copy swallows EOF
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatalf("server did not close the connection within %v; it sent %q", ioTimeout, b.String())
	}
	return b.String(), err
}

// expectClosed asserts the server closes the connection with nothing more.
func (c *client) expectClosed() {
	c.t.Helper()
	rest, err := c.readUntilClosed()
	if rest != "" || err != io.EOF {
		c.t.Fatalf("want a clean close (EOF, no data); got %q, %v", rest, err)
	}
}

// upgrade runs the client side of the TLS handshake on the TCP connection.
func (c *client) upgrade(cfg *tls.Config) tls.ConnectionState {
	c.t.Helper()
	tc := tls.Client(c.tcp, cfg)
	_ = c.tcp.SetDeadline(time.Now().Add(ioTimeout))
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("client TLS handshake: %v", err)
	}
	_ = c.tcp.SetDeadline(time.Time{})
	c.conn = tc
	return tc.ConnectionState()
}

// legacyOpen sends the legacy header asking for STARTTLS and checks the echo.
func (c *client) legacyOpen() (id string) {
	c.t.Helper()
	c.send(legacyHeader)
	return c.expectHeader(legacyAnswerTLS)
}

// legacyUpgrade runs the whole XEP-0035 upgrade on a fresh connection and
// opens the stream over TLS; it returns both stream ids.
func (c *client) legacyUpgrade(cfg *tls.Config) (id1, id2 string, cs tls.ConnectionState) {
	c.t.Helper()
	id1 = c.legacyOpen()
	c.send(legacyStartTLS)
	c.expect(closeTag)
	cs = c.upgrade(cfg)
	c.send(legacyHeader)
	id2 = c.expectHeader(legacyAnswer)
	return id1, id2, cs
}

// clientHello returns a real ClientHello record as crypto/tls sends it,
// captured over a pipe.
func clientHello(t testing.TB, cfg *tls.Config) []byte {
	t.Helper()
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tls.Client(a, cfg).Handshake() // fails once the pipe closes
	}()
	_ = b.SetReadDeadline(time.Now().Add(ioTimeout))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(b, hdr); err != nil {
		t.Fatalf("capture ClientHello: %v", err)
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(b, body); err != nil {
		t.Fatalf("capture ClientHello: %v", err)
	}
	b.Close()
	a.Close()
	<-done
	if hdr[0] != 22 || body[0] != 1 {
		t.Fatalf("captured record is not a ClientHello: % x", hdr)
	}
	return append(hdr, body...)
}
