package metrics

import (
	"context"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/transport"
)

// lateNoter is a driver that learns the dialect while it serves and is
// told of a login only as the connection ends (after Serve, in Ended: the
// last thing the driver does on the connection's goroutine).
type lateNoter struct{ c *transport.Conn }

func (d lateNoter) Serve() {
	d.c.Note(transport.Note{Kind: transport.NoteDialect, Text: "rfc6120"})
}

func (d lateNoter) Ended() {
	d.c.Note(transport.Note{Kind: transport.NoteAuth, Mechanism: "PLAIN", OK: true})
}

// TestClosedCountsWhereTheConnectionEnded: a connection is counted in
// jabberd_connections_total with the dialect and phase it had reached when
// it was over, the driver's Ended included, not when its end began (the
// metrics' Closed was deferred with its arguments read then, and counted
// this connection "plaintext").
func TestClosedCountsWhereTheConnectionEnded(t *testing.T) {
	m := New(nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.DialTimeout("tcp", l.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	_ = l.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	nc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	set := &transport.Settings{Context: context.Background(), Log: zerolog.New(io.Discard), Metrics: m.Transport("xmpp")}
	c := transport.New(set, nc, "c1", "127.0.0.1")
	c.Run(lateNoter{c})
	ended := make(chan struct{})
	c.Serve(func() { close(ended) })
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the connection did not end")
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	want := `jabberd_connections_total{dialect="rfc6120",listener="xmpp:` + port + `",phase="authenticated"} 1`
	if !strings.Contains(string(body), want) {
		t.Errorf("no %q in:\n%s", want, body)
	}
}
