package listener

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeConn serves until stopped (or killed), recording what happened.
type fakeConn struct {
	nc      net.Conn
	refusal Refusal
	stopped chan struct{}
	stops   atomic.Int32
	ignore  bool // ignores Stop: only Kill ends it
	hold    bool // a refused connection stays open until stopped
}

func (c *fakeConn) Serve(done func()) {
	defer done()
	if c.refusal.Refused() && !c.hold {
		c.nc.Close()
		return
	}
	buf := make([]byte, 1)
	if c.ignore {
		_, _ = c.nc.Read(buf) // returns when killed
		return
	}
	<-c.stopped
	c.nc.Close()
}

func (c *fakeConn) Stop() {
	if c.stops.Add(1) == 1 {
		close(c.stopped)
	}
}

func (c *fakeConn) Kill() { c.nc.Close() }

func startPool(t *testing.T, maxPerIP int, ignoreStop bool) (*Pool, string, chan *fakeConn) {
	t.Helper()
	return startPoolWith(t, Limits{PerIP: maxPerIP}, ignoreStop)
}

func startPoolWith(t *testing.T, lim Limits, ignoreStop bool) (*Pool, string, chan *fakeConn) {
	t.Helper()
	p := New(lim, zerolog.Nop())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	made := make(chan *fakeConn, 16)
	p.Serve(l, func(nc net.Conn, ip string, refusal Refusal) Conn {
		c := &fakeConn{nc: nc, refusal: refusal, stopped: make(chan struct{}), ignore: ignoreStop}
		made <- c
		return c
	})
	return p, l.Addr().String(), made
}

func waitCount(t *testing.T, p *Pool, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.Count() != want {
		if time.Now().After(deadline) {
			t.Fatalf("Count() = %d, want %d", p.Count(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPerIPLimit: the connection past the limit is made refused and
// the count comes back down when connections end.
func TestPerIPLimit(t *testing.T) {
	p, addr, made := startPool(t, 2, false)
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fc := <-made
		want := Refusal{IP: "127.0.0.1"}
		if i == 2 {
			want = Refusal{Kind: OverPerIP, IP: "127.0.0.1", Limit: 2}
		}
		if fc.refusal != want {
			t.Fatalf("connection %d: refusal %+v, want %+v", i+1, fc.refusal, want)
		}
		if i == 2 && fc.refusal.String() != "too many connections from 127.0.0.1 (limit 2)" {
			t.Fatalf("reason %q", fc.refusal)
		}
	}
	waitCount(t, p, 2) // the third refused itself and was forgotten
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.Count() != 0 {
		t.Fatalf("Count() after shutdown = %d", p.Count())
	}
}

// TestShutdownStopsThenKills: every connection is asked to stop; one that
// does not is killed when the context ends, and Shutdown says so.
func TestShutdownStopsThenKills(t *testing.T) {
	p, addr, made := startPool(t, 0, true)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fc := <-made
	waitCount(t, p, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := p.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown = %v, want the context's deadline (the connection had to be killed)", err)
	}
	if fc.stops.Load() != 1 || p.Count() != 0 {
		t.Fatalf("stops %d, count %d", fc.stops.Load(), p.Count())
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("the listener still accepts after Shutdown")
	}
}
