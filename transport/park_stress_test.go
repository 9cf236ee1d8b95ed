//go:build linux

package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/listener"
)

// stressDriver echoes like echoDriver but never blocks on a channel: many
// of them park and resume at once. It counts its own ends.
type stressDriver struct {
	c *Conn
	echoInput
	ended atomic.Int32
}

func (d *stressDriver) Serve() { d.src = d.c.Source(); d.loop() }

func (d *stressDriver) Ended() { d.ended.Add(1) }

func (d *stressDriver) Resume(deadline time.Time, err error) {
	if d.step(deadline, err) {
		d.loop()
	}
}

func (d *stressDriver) loop() { parkLoop(d.c, time.Minute, d, d.step) }

func (d *stressDriver) step(deadline time.Time, err error) bool {
	in, err := d.take(d.c, deadline, err)
	if err != nil {
		if d.c.ReadFailed(err) == Stopped {
			_ = d.c.WriteLast([]byte("bye"), nil)
			d.c.Close()
		}
		return false
	}
	return d.c.Write([]byte(in), nil) == nil
}

// TestParkStress: many connections of one listener pool park and resume
// on input (an idle grace of a millisecond: they park between most
// writes), while others receive queued output, are stopped, killed, or
// hang up, and then the pool shuts down with all of them at every stage.
// Every connection ends exactly once (Ended, and the pool's done: the
// shutdown returns without having to kill anyone), nothing is left parked,
// and the poller holds no registration.
func TestParkStress(t *testing.T) {
	if sharedPoller() == nil {
		t.Skip("no poller on this platform")
	}
	const n = 40
	set := &Settings{Context: context.Background(), Shutdown: errors.New("shutting down"), IdleGrace: time.Millisecond, Log: zerolog.Nop()}
	pool := listener.New(listener.Limits{}, zerolog.Nop())
	var mu sync.Mutex
	var drivers []*stressDriver
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var ids atomic.Int32
	pool.Serve(l, func(nc net.Conn, ip string, _ listener.Refusal) listener.Conn {
		c := New(set, nc, fmt.Sprintf("s%d", ids.Add(1)), ip)
		d := &stressDriver{c: c}
		c.Run(d)
		mu.Lock()
		drivers = append(drivers, d)
		mu.Unlock()
		return c
	})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			defer client.Close()
			go func() { _, _ = io.Copy(io.Discard, client) }()
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				if i%10 == 9 && j == 20 {
					return // hangs up
				}
				if _, err := client.Write([]byte("x")); err != nil {
					return
				}
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			}
		}()
	}
	// Output queued to parked connections, stops and kills of some.
	deadline := time.Now().Add(time.Second)
	maxParked := 0
	for time.Now().Before(deadline) {
		maxParked = max(maxParked, set.Parked())
		mu.Lock()
		ds := append([]*stressDriver(nil), drivers...)
		mu.Unlock()
		for k, d := range ds {
			switch {
			case k%10 == 3 && rand.IntN(50) == 0:
				d.c.StopWith(errors.New("replaced"))
			case k%10 == 5 && rand.IntN(50) == 0:
				d.c.Kill()
			default:
				_ = d.c.Enqueue([]byte("q"), nil)
			}
		}
		time.Sleep(time.Millisecond)
	}
	if maxParked == 0 {
		t.Errorf("no connection was ever seen parked")
	}
	t.Logf("at most %d of %d connections seen parked at once", maxParked, n)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pool.Shutdown(ctx); err != nil {
		t.Errorf("the shutdown ended with %v: some connection did not end when stopped", err)
	}
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(drivers) != n {
		t.Fatalf("%d connections accepted, want %d", len(drivers), n)
	}
	time.Sleep(50 * time.Millisecond) // a second end would come now
	for _, d := range drivers {
		if e := d.ended.Load(); e != 1 {
			t.Errorf("connection %s ended %d times, want once", d.c.ID(), e)
		}
	}
	if p := set.Parked(); p != 0 {
		t.Errorf("%d connections parked after the shutdown", p)
	}
	thePoller.mu.Lock()
	left := len(thePoller.conns)
	thePoller.mu.Unlock()
	if left != 0 {
		t.Errorf("the poller holds %d registrations after every connection ended", left)
	}
}
