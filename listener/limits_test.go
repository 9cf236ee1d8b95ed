package listener

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestTotalLimit: past Limits.Total a connection is made refused with
// OverTotal; refused connections do not use up the capacity; when an
// admitted one ends, the next is admitted again.
func TestTotalLimit(t *testing.T) {
	// Refused connections stay open here (as a slow client's refusal
	// would): they must still not count against the total.
	p := New(Limits{Total: 2}, zerolog.Nop())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	made := make(chan *fakeConn, 16)
	p.Serve(l, func(nc net.Conn, ip string, refusal Refusal) Conn {
		c := &fakeConn{nc: nc, refusal: refusal, stopped: make(chan struct{}), hold: true}
		made <- c
		return c
	})
	addr := l.Addr().String()
	defer p.Shutdown(t.Context())
	var admitted []*fakeConn
	for i := range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fc := <-made
		if fc.refusal.Refused() {
			t.Fatalf("connection %d refused: %v", i+1, fc.refusal)
		}
		admitted = append(admitted, fc)
	}
	for i := range 3 { // refused ones do not count: each is refused the same way
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fc := <-made
		want := Refusal{Kind: OverTotal, IP: "127.0.0.1", Limit: 2}
		if fc.refusal != want {
			t.Fatalf("extra connection %d: refusal %+v, want %+v", i+1, fc.refusal, want)
		}
		if fc.refusal.String() != "the server has too many connections (limit 2)" {
			t.Fatalf("reason %q", fc.refusal)
		}
	}
	waitCount(t, p, 5)
	admitted[0].Stop()
	waitCount(t, p, 4) // one admitted, three refused still open
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if fc := <-made; fc.refusal.Refused() {
		t.Fatalf("after one ended: refused %v", fc.refusal)
	}
}

// TestPerIPBeforeTotal: a connection over both limits is refused for its
// address (the client's own excess), as before the total limit existed.
func TestPerIPBeforeTotal(t *testing.T) {
	p, addr, made := startPoolWith(t, Limits{PerIP: 1, Total: 1}, false)
	defer p.Shutdown(t.Context())
	for i := range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fc := <-made
		if want := map[int]RefusalKind{0: Admitted, 1: OverPerIP}[i]; fc.refusal.Kind != want {
			t.Fatalf("connection %d: %+v", i+1, fc.refusal)
		}
	}
}

// readerConn is a Conn that reads everything its client sends through the
// pool's socket and reports it with the time the last byte came.
type readerConn struct {
	nc   net.Conn
	done chan readResult
}

type readResult struct {
	data []byte
	err  error
	at   time.Time
}

func (c *readerConn) Serve(done func()) {
	defer done()
	var buf bytes.Buffer
	b := make([]byte, 4096)
	for {
		n, err := c.nc.Read(b)
		buf.Write(b[:n])
		if err != nil {
			c.done <- readResult{buf.Bytes(), err, time.Now()}
			c.nc.Close()
			return
		}
	}
}
func (c *readerConn) Stop() { _ = c.nc.SetReadDeadline(time.Now()) }
func (c *readerConn) Kill() { c.nc.Close() }

func startReaderPool(t *testing.T, lim Limits, prepare func(net.Conn)) (string, chan readResult) {
	t.Helper()
	p := New(lim, zerolog.Nop())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan readResult, 4)
	p.Serve(l, func(nc net.Conn, ip string, r Refusal) Conn {
		if prepare != nil {
			prepare(nc)
		}
		return &readerConn{nc: nc, done: done}
	})
	t.Cleanup(func() { _ = p.Shutdown(t.Context()) })
	return l.Addr().String(), done
}

// TestRateLimitDelaysReader: with a bucket of 100 bytes at 1000 bytes/s,
// reading 600 bytes sent at once takes at least (600-100)/1000 s; every
// byte arrives (the client is slowed, not cut).
func TestRateLimitDelaysReader(t *testing.T) {
	const rate, burst, size = 1000, 100, 600
	addr, done := startReaderPool(t, Limits{BytesPerSecond: rate, Burst: burst}, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("x"), size)
	start := time.Now()
	if _, err := c.Write(payload); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	defer c.Close()
	r := <-done
	if r.err != io.EOF || !bytes.Equal(r.data, payload) {
		t.Fatalf("read %d bytes, err %v; want all %d and EOF", len(r.data), r.err, size)
	}
	min := time.Duration(size-burst) * time.Second / rate
	if got := r.at.Sub(start); got < min {
		t.Fatalf("the server read %d bytes in %v; the bucket allows no less than %v", size, got, min)
	}
}

// TestRateLimitOff: without a rate the socket is the accepted one itself.
func TestRateLimitOff(t *testing.T) {
	types := make(chan net.Conn, 1)
	addr, _ := startReaderPool(t, Limits{}, func(nc net.Conn) { types <- nc })
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if nc := <-types; func() bool { _, ok := nc.(*net.TCPConn); return !ok }() {
		t.Fatalf("the connection is a %T, want the *net.TCPConn", nc)
	}
}

// TestRateLimitKeepsDeadline: a read deadline ends the wait for tokens; the
// limit never stretches the negotiation or idle timeout. At 10 bytes/s,
// 1000 bytes would take 99 s; a 200 ms deadline must end the reading with
// a timeout well before.
func TestRateLimitKeepsDeadline(t *testing.T) {
	addr, done := startReaderPool(t, Limits{BytesPerSecond: 10, Burst: 10}, func(nc net.Conn) {
		_ = nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(bytes.Repeat([]byte("x"), 1000)); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if !errors.Is(r.err, os.ErrDeadlineExceeded) {
			t.Fatalf("read ended with %v after %d bytes, want the deadline", r.err, len(r.data))
		}
		if len(r.data) >= 1000 {
			t.Fatalf("read all %d bytes despite the limit", len(r.data))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the deadline did not end a read waiting for tokens")
	}
}

// TestRateLimitDeadlineKick: a deadline set from another goroutine (how the
// server stops a connection) ends a wait already in progress.
func TestRateLimitDeadlineKick(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	lc := newLimitedConn(a, 1, 1) // one byte per second
	go func() { _, _ = b.Write([]byte("xxxx")) }()
	first := make(chan error, 1)
	go func() {
		buf := make([]byte, 1)
		if _, err := lc.Read(buf); err != nil {
			first <- err
			return
		}
		_, err := lc.Read(buf) // owes a token: waits about a second
		first <- err
	}()
	// Wait until the second read is waiting, then stop it.
	for deadline := time.Now().Add(10 * time.Second); ; {
		lc.mu.Lock()
		w := lc.waiting
		lc.mu.Unlock()
		if w {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the read never waited for tokens")
		}
		time.Sleep(time.Millisecond)
	}
	_ = lc.SetReadDeadline(time.Now())
	select {
	case err := <-first:
		if err != nil {
			t.Fatalf("the waiting read returned %v; want its byte (the deadline ends the wait, not the data)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("SetReadDeadline did not end the wait")
	}
	if _, err := lc.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("next read: %v, want the deadline", err)
	}
}

// TestBucketArithmetic checks the bucket with a fake clock: the burst is
// free, then every byte costs 1/rate, and idle time refills up to the
// burst only.
func TestBucketArithmetic(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	now := time.Unix(0, 0)
	lc := newLimitedConn(a, 100, 50)
	lc.now = func() time.Time { return now }
	lc.tokens, lc.last = 50, now
	lc.deadline = now // waits end at once: only the balance is checked
	lc.pay(50)
	if lc.tokens != 0 {
		t.Fatalf("after the burst: %v tokens", lc.tokens)
	}
	lc.pay(30)
	if lc.tokens != -30 {
		t.Fatalf("in debt: %v tokens, want -30", lc.tokens)
	}
	now = now.Add(time.Second) // +100, capped at the burst
	lc.pay(0)
	if lc.tokens != 50 {
		t.Fatalf("after a second: %v tokens, want 50 (the burst)", lc.tokens)
	}
}

// TestReadPastDeadlineReadsNothing: once the read deadline as set has come,
// Read takes nothing from the socket, even when the socket (whose runtime
// timer may not have run yet) would still hand over what it holds. Before,
// a wait the deadline cut short let the rest of a slow client's input
// through at full speed (TestRateLimitKeepsNegotiationTimeout, now and then).
func TestReadPastDeadlineReadsNothing(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	now := time.Now()
	lc := newLimitedConn(a, 100, 50)
	lc.now = func() time.Time { return now }
	// The limiter's deadline has come by its clock; the pipe's own is an
	// hour away, so the pipe alone would deliver.
	if err := lc.SetReadDeadline(now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	go func() { _, _ = b.Write([]byte("<message/>")) }()
	buf := make([]byte, 10)
	n, err := lc.Read(buf)
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline = %d, %v; want 0, deadline exceeded", n, err)
	}
}
