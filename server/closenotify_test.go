package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// A TLS connection ends with close_notify before the TCP close (RFC 8446
// §6.1), whoever ends the stream. crypto/tls cannot tell the client: it
// reports a bare TCP close at a record boundary as io.EOF too. So these
// tests record the TLS records the server sent and require the last one to
// be an alert, over TLS 1.2, where an alert's record type (21) is visible
// on the wire; the server's code path is the same for TLS 1.3, and the
// interop suite checks that one with openssl s_client.

// recorder keeps what the server sent on the TCP connection.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	got bytes.Buffer
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.got.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

// lastRecordType parses the bytes received from the first TLS record on
// (from, the offset where TLS began) and returns the last record's type.
func (r *recorder) lastRecordType(t *testing.T, from int) byte {
	t.Helper()
	r.mu.Lock()
	b := bytes.Clone(r.got.Bytes()[from:])
	r.mu.Unlock()
	var last byte
	for len(b) > 0 {
		if len(b) < 5 {
			t.Fatalf("a truncated TLS record header: % x", b)
		}
		n := int(binary.BigEndian.Uint16(b[3:5]))
		if len(b) < 5+n {
			t.Fatalf("a truncated TLS record: %d of %d bytes", len(b)-5, n)
		}
		last, b = b[0], b[5+n:]
	}
	return last
}

const recordAlert = 21

// tlsClient dials, runs the legacy or RFC 6120 STARTTLS upgrade over TLS
// 1.2 and opens the stream over TLS; it returns the client and where TLS
// began in what the recorder holds.
func tlsClient(t *testing.T, h *harness, dialect string) (*client, *recorder, int) {
	t.Helper()
	c := h.dial(t)
	rec := &recorder{Conn: c.tcp}
	c.tcp, c.conn = rec, rec
	cfg := h.tlsConfig(nil)
	cfg.MaxVersion = tls.VersionTLS12
	if dialect == "legacy" {
		c.legacyOpen()
		c.send(legacyStartTLS)
		c.expect(closeTag)
	} else {
		c.send(rfcHeader)
		c.expectHeader(rfcAnswer)
		c.readThrough("</stream:features>")
		c.send(rfcStartTLS)
		c.expect(rfcProceed)
	}
	from := rec.got.Len()
	c.upgrade(cfg)
	if dialect == "legacy" {
		c.send(legacyHeader)
		c.expectHeader(legacyAnswer)
	} else {
		c.send(rfcHeader)
		c.expectHeader(rfcAnswer)
		c.readThrough("</stream:features>")
	}
	return c, rec, from
}

// readThrough reads up to and including the first occurrence of end.
func (c *client) readThrough(end string) string {
	c.t.Helper()
	var b strings.Builder
	for !strings.HasSuffix(b.String(), end) {
		b.WriteString(c.readTag())
	}
	return b.String()
}

// wantCloseNotify reads until the connection ends and requires the end to
// be close_notify: io.EOF, and an alert as the last record.
func wantCloseNotify(t *testing.T, c *client, rec *recorder, from int) string {
	t.Helper()
	rest, err := c.readUntilClosed()
	if err != io.EOF {
		t.Fatalf("read %q, then %v; want io.EOF", rest, err)
	}
	if typ := rec.lastRecordType(t, from); typ != recordAlert {
		t.Fatalf("the server's last TLS record has type %d, want an alert (%d): it closed TCP without close_notify", typ, recordAlert)
	}
	return rest
}

func TestCloseNotifyOnClientClose(t *testing.T) {
	for _, dialect := range []string{"legacy", "rfc6120"} {
		t.Run(dialect, func(t *testing.T) {
			h := start(t, nil)
			c, rec, from := tlsClient(t, h, dialect)
			c.send(closeTag)
			if rest := wantCloseNotify(t, c, rec, from); rest != closeTag {
				t.Fatalf("after </stream:stream> the server sent %q, want %q", rest, closeTag)
			}
		})
	}
}

func TestCloseNotifyOnStreamError(t *testing.T) {
	h := start(t, nil)
	c, rec, from := tlsClient(t, h, "rfc6120")
	c.send("<message><body>unclosed</message>")
	rest := wantCloseNotify(t, c, rec, from)
	if !strings.Contains(rest, "<not-well-formed ") || !strings.HasSuffix(rest, closeTag) {
		t.Fatalf("after malformed XML the server sent %q, want a not-well-formed stream error and the close", rest)
	}
}

func TestCloseNotifyOnShutdown(t *testing.T) {
	h := start(t, nil)
	c, rec, from := tlsClient(t, h, "legacy")
	h.waitConnCount(t, 1)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- h.shutdown(ctx)
	}()
	rest := wantCloseNotify(t, c, rec, from)
	if !strings.Contains(rest, "<system-shutdown ") {
		t.Fatalf("on shutdown the server sent %q, want a system-shutdown stream error", rest)
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
