package irc_test

// The end-to-end harness: jabberd from app.FromConfig with the IRC
// listener on a loopback port (the real wiring: shared TLS server, client
// verification, mapper and accounts), its JSON log in a buffer the tests can
// wait on, and a client that writes raw lines over TCP and then real TLS.

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/app"
	"jabberd/config"
	"jabberd/internal/logtest"
	"jabberd/internal/testserver"
)

// ioTimeout bounds every client read and write.
const ioTimeout = 5 * time.Second

// ---- log buffer ----

// logBuffer is the server's JSON log, shared with the tests' waits.
type logBuffer struct{ *logtest.Buffer }

func newLogBuffer() *logBuffer { return &logBuffer{logtest.New()} }

type logEntry = logtest.Entry

func (b *logBuffer) text() string { return b.String() }

// fields selects entries: every key must have this string value.
type fields map[string]string

func (b *logBuffer) all(t testing.TB, f fields) []logEntry {
	t.Helper()
	return b.Select(t, func(e logEntry) bool { return e.Has(f) })
}

// wait returns the first entry matching f, waiting up to ioTimeout.
func (b *logBuffer) wait(t testing.TB, f fields) logEntry {
	t.Helper()
	return b.WaitN(t, ioTimeout, 1, fmt.Sprint(f), func(e logEntry) bool { return e.Has(f) })[0]
}

// ---- the server ----

// harness is the shared test server (internal/testserver) with the IRC
// listener on, under the names this suite's tests use.
type harness struct {
	*testserver.Server
	t    *testing.T
	cfg  *config.Config
	set  *app.Setup
	addr string // the IRC listener
	logs *logBuffer
}

// start runs jabberd with IRC on 127.0.0.1:0 (tls optional) and XMPP on
// 127.0.0.1:0; mod changes the configuration, before touches the setup
// before Listen (test hooks).
func start(t *testing.T, mod func(*config.Config), before func(*app.Setup)) *harness {
	t.Helper()
	s := testserver.Start(t, testserver.Options{Before: before, Configure: func(cfg *config.Config) {
		cfg.IRC.Enabled = true
		cfg.IRC.Address = "127.0.0.1:0"
		if mod != nil {
			mod(cfg)
		}
	}})
	return &harness{Server: s, t: t, cfg: s.Cfg, set: s.Set, addr: s.IRCAddr(), logs: &logBuffer{s.Logs}}
}

func (h *harness) allowError(msg string) { h.AllowError(msg) }

func (h *harness) tlsConfig(cert *tls.Certificate) *tls.Config { return h.TLSConfig(cert) }

func (h *harness) clientCert(user string) *tls.Certificate {
	h.t.Helper()
	c, _ := h.ClientCert(user)
	return &c
}

func (h *harness) waitConnCount(t testing.TB, want int) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for h.set.IRC.ConnCount() != want {
		if time.Now().After(deadline) {
			t.Fatalf("IRC ConnCount = %d after %v, want %d", h.set.IRC.ConnCount(), ioTimeout, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ---- the client ----

type client struct {
	t    testing.TB
	tcp  net.Conn
	conn net.Conn // tcp, then TLS over it
	r    *bufio.Reader
	id   string // the server's conn id, from the log
}

func (h *harness) dial(t testing.TB) *client {
	t.Helper()
	nc, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatalf("dial %s: %v", h.addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &client{t: t, tcp: nc, conn: nc, r: bufio.NewReader(nc)}
	local := nc.LocalAddr().String()
	for _, e := range []logEntry{h.logs.wait(t, fields{"message": "connected", "proto": "irc", "remote": local})} {
		c.id = e.Str("conn")
	}
	return c
}

// send writes the lines, each with CRLF, in one write.
func (c *client) send(lines ...string) {
	c.t.Helper()
	c.write(strings.Join(lines, "\r\n") + "\r\n")
}

func (c *client) write(s string) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// line reads one line without CRLF.
func (c *client) line() string {
	c.t.Helper()
	l, err := c.readLine()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return l
}

func (c *client) readLine() (string, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	l, err := c.r.ReadString('\n')
	if err != nil {
		return l, err
	}
	if !strings.HasSuffix(l, "\r\n") {
		return l, errors.New("line without CRLF: " + l)
	}
	return strings.TrimSuffix(l, "\r\n"), nil
}

// expect reads one line and checks it.
func (c *client) expect(want string) {
	c.t.Helper()
	if got := c.line(); got != want {
		c.t.Fatalf("server sent %q, want %q", got, want)
	}
}

// sync sends a PING and returns every line before its PONG: whatever the
// server had to say in between is all there.
func (c *client) sync() []string {
	c.t.Helper()
	c.send("PING :sync")
	var lines []string
	for {
		l := c.line()
		if l == ":localhost PONG localhost :sync" {
			return lines
		}
		lines = append(lines, l)
	}
}

// readUntilClosed returns what the server sent until it closed.
func (c *client) readUntilClosed() ([]string, error) {
	var lines []string
	for {
		l, err := c.readLine()
		if err != nil {
			if l != "" {
				lines = append(lines, l)
			}
			return lines, err
		}
		lines = append(lines, l)
	}
}

// startTLS asks for STARTTLS and runs the client handshake.
func (c *client) startTLS(cfg *tls.Config, nick string) tls.ConnectionState {
	c.t.Helper()
	c.send("STARTTLS")
	c.expect(":localhost 670 " + nick + " :STARTTLS successful, proceed with TLS handshake")
	if n := c.r.Buffered(); n != 0 {
		c.t.Fatalf("%d bytes buffered after 670: the server sent something before the handshake", n)
	}
	tc := tls.Client(c.tcp, cfg)
	_ = c.tcp.SetDeadline(time.Now().Add(ioTimeout))
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake after 670: %v", err)
	}
	_ = c.tcp.SetDeadline(time.Time{})
	c.conn, c.r = tc, bufio.NewReader(tc)
	return tc.ConnectionState()
}

// register sends NICK and USER and returns the welcome (through the last
// NOTICE before a PONG).
func (c *client) register(nick string) []string {
	c.t.Helper()
	c.send("NICK "+nick, "USER "+nick+" 0 * :"+nick)
	lines := c.sync()
	if len(lines) == 0 || !strings.HasPrefix(lines[0], ":localhost 001 "+nick+" ") {
		c.t.Fatalf("registration of %s: got %q", nick, lines)
	}
	return lines
}

func discard() zerolog.Logger { return zerolog.Nop() }
