package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/internal/sockettest"
)

// The parking of an idle connection, on real loopback sockets, under a
// driver that echoes what it reads: each way a parked connection is taken
// up again, and that it ends exactly once. (The XMPP driver's own, over
// TLS, are in package server: idle_test.go.)

// echoDriver echoes each read back; "panic" panics, and a read that fails
// is reported with what ReadFailed made of it.
type echoDriver struct {
	c    *Conn
	idle time.Duration
	echoInput
	resumed chan error    // each Resume's err
	ends    chan ReadEnd  // how the read loop ended
	ended   atomic.Int32  // Ended calls
	doneN   atomic.Int32  // the listener's done calls
	done    chan struct{} // closed by the listener's done
}

// echoInput is a test driver's input: what Fill read, or the read after a
// wait that found nothing buffered.
type echoInput struct {
	src io.Reader
	buf [64]byte
	n   int // what Fill read
}

func (in *echoInput) Fill() error {
	n, err := in.src.Read(in.buf[:])
	in.n = n
	return err
}

// take returns the input a wait that ended with err brought (reading it
// under deadline if Fill did not), and empties the buffer.
func (in *echoInput) take(c *Conn, deadline time.Time, err error) (string, error) {
	if err == nil && in.n == 0 {
		if err = c.Arm(deadline); err == nil {
			in.n, err = in.src.Read(in.buf[:])
		}
	}
	if err == nil && in.n == 0 {
		err = io.EOF
	}
	got := string(in.buf[:in.n])
	in.n = 0
	return got, err
}

func (d *echoDriver) Serve() {
	d.src = d.c.Source()
	d.loop()
}

func (d *echoDriver) Ended() { d.ended.Add(1) }

func (d *echoDriver) Resume(deadline time.Time, err error) {
	d.resumed <- err
	if d.step(deadline, err) {
		d.loop()
	}
}

func (d *echoDriver) loop() { parkLoop(d.c, d.idle, d, d.step) }

// parkLoop is a test driver's read loop: wait for input (parking where the
// platform allows), then step, until step ends the connection or the
// connection is parked (its Resume goes on from there).
func parkLoop(c *Conn, idle time.Duration, f Filler, step func(time.Time, error) bool) {
	for {
		deadline := time.Now().Add(idle)
		err := c.AwaitInput(deadline, f)
		if err == ErrParked || !step(deadline, err) {
			return
		}
	}
}

func (d *echoDriver) step(deadline time.Time, err error) bool {
	in, err := d.take(d.c, deadline, err)
	if err != nil {
		end := d.c.ReadFailed(err)
		d.ends <- end
		if end == TimedOut {
			_ = d.c.Write([]byte("timeout"), nil)
		}
		return false
	}
	if in == "panic" {
		panic("echo: asked to")
	}
	return d.c.Write([]byte(in), nil) == nil
}

// startEcho serves one echo connection and returns the client's end.
func startEcho(t *testing.T, set *Settings, idle time.Duration) (*echoDriver, net.Conn) {
	t.Helper()
	if sharedPoller() == nil {
		t.Skip("no poller on this platform: connections keep their goroutine")
	}
	client, nc := sockettest.Connect(t, sockettest.Listen(t))
	c := New(set, nc, "e1", "127.0.0.1")
	d := &echoDriver{c: c, idle: idle, resumed: make(chan error, 8), ends: make(chan ReadEnd, 1), done: make(chan struct{})}
	c.Run(d)
	go c.Serve(func() {
		if d.doneN.Add(1) == 1 {
			close(d.done)
		}
	})
	return d, client
}

func echoSettings() *Settings {
	return &Settings{Context: context.Background(), Shutdown: errors.New("shutting down"), IdleGrace: 20 * time.Millisecond, Log: zerolog.Nop()}
}

const parkTimeout = 10 * time.Second

// waitParkedN waits until n connections of set are parked.
func waitParkedN(t *testing.T, set *Settings, n int) {
	t.Helper()
	deadline := time.Now().Add(parkTimeout)
	for set.Parked() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections parked after %v, want %d", set.Parked(), parkTimeout, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func expectRead(t *testing.T, nc net.Conn, want string) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(parkTimeout))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(nc, got); err != nil || string(got) != want {
		t.Fatalf("read %q, %v; want %q", got, err, want)
	}
}

// expectEnded waits for the connection's end: the driver's Ended and the
// listener's done, once each, and the client's EOF.
func expectEnded(t *testing.T, d *echoDriver, client net.Conn) {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(parkTimeout):
		t.Fatalf("the connection did not end")
	}
	_ = client.SetReadDeadline(time.Now().Add(parkTimeout))
	if b, err := io.ReadAll(client); len(b) != 0 || err != nil {
		t.Fatalf("after the end the client read %q, %v; want EOF", b, err)
	}
	time.Sleep(20 * time.Millisecond) // a second done or Ended would come now
	if d.doneN.Load() != 1 || d.ended.Load() != 1 {
		t.Fatalf("done called %d times, Ended %d; want once each", d.doneN.Load(), d.ended.Load())
	}
}

func TestParkedResumesOnInput(t *testing.T) {
	set := echoSettings()
	d, client := startEcho(t, set, time.Minute)
	for i := range 3 {
		waitParkedN(t, set, 1)
		if _, err := client.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		if err := <-d.resumed; err != nil {
			t.Fatalf("round %d: resumed with %v, want nil (input)", i, err)
		}
		expectRead(t, client, "hello")
	}
	waitParkedN(t, set, 1)
	client.Close()
	if err := <-d.resumed; err != nil {
		t.Fatalf("resumed with %v at the client's close, want nil", err)
	}
	if end := <-d.ends; end != HungUp {
		t.Fatalf("the read ended %v, want HungUp", end)
	}
	<-d.done
}

func TestParkedResumesOnDeadline(t *testing.T) {
	set := echoSettings()
	d, client := startEcho(t, set, 300*time.Millisecond)
	waitParkedN(t, set, 1)
	if err := <-d.resumed; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("resumed with %v, want the deadline", err)
	}
	if end := <-d.ends; end != TimedOut {
		t.Fatalf("the read ended %v, want TimedOut", end)
	}
	expectRead(t, client, "timeout")
	expectEnded(t, d, client)
	if set.Parked() != 0 {
		t.Fatalf("%d parked after the end", set.Parked())
	}
}

func TestParkedResumesOnStop(t *testing.T) {
	set := echoSettings()
	d, client := startEcho(t, set, time.Minute)
	waitParkedN(t, set, 1)
	d.c.Stop()
	if err := <-d.resumed; err != set.Shutdown {
		t.Fatalf("resumed with %v, want the shutdown reason", err)
	}
	if end := <-d.ends; end != Stopped {
		t.Fatalf("the read ended %v, want Stopped", end)
	}
	expectEnded(t, d, client)
}

// TestParkedResumesOnKill: closing the socket takes it out of the epoll set
// without an event; Kill wakes the connection itself.
func TestParkedResumesOnKill(t *testing.T) {
	set := echoSettings()
	d, client := startEcho(t, set, time.Minute)
	waitParkedN(t, set, 1)
	d.c.Kill()
	if err := <-d.resumed; err != nil {
		t.Fatalf("resumed with %v, want nil (the read says why)", err)
	}
	if end := <-d.ends; end != Broken {
		t.Fatalf("the read ended %v, want Broken", end)
	}
	expectEnded(t, d, client)
}

// TestPanicAfterResume: a panic on the goroutine that took a parked
// connection up ends that connection, once, and not the other.
func TestPanicAfterResume(t *testing.T) {
	set := echoSettings()
	logged := &syncWriter{w: &strings.Builder{}}
	set.Log = zerolog.New(logged)
	d, client := startEcho(t, set, time.Minute)
	other, otherClient := startEcho(t, set, time.Minute)
	waitParkedN(t, set, 2)
	if _, err := client.Write([]byte("panic")); err != nil {
		t.Fatal(err)
	}
	expectEnded(t, d, client)
	if !strings.Contains(logged.String(), "connection handler panicked") {
		t.Fatalf("the panic was not logged:\n%s", logged.String())
	}
	waitParkedN(t, set, 1)
	if _, err := otherClient.Write([]byte("still")); err != nil {
		t.Fatal(err)
	}
	expectRead(t, otherClient, "still")
	if other.doneN.Load() != 0 {
		t.Fatalf("the other connection ended")
	}
}

// syncWriter is a log sink for several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.(*strings.Builder).String()
}
