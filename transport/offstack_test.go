package transport

import (
	"runtime"
	"testing"
	"time"

	"jabberd/internal/workers"
)

// TestOffStack: f runs to its end before run returns, its panic comes back
// to the caller, the helper survives a panic, and stop ends the helper
// (its goroutine ends or waits among internal/workers' idle ones).
func TestOffStack(t *testing.T) {
	base := runtime.NumGoroutine() - workers.Idle()
	var o offStack
	ran := false
	o.run(func() { ran = true })
	if !ran {
		t.Fatal("f did not run before run returned")
	}
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Fatalf("recovered %v, want the panic of f", v)
			}
		}()
		o.run(func() { panic("boom") })
		t.Fatal("the panic of f was lost")
	}()
	n := 0
	o.run(func() { n++ })
	o.run(func() { n++ })
	if n != 2 {
		t.Fatalf("after a panic the helper ran %d calls, want 2", n)
	}
	o.stop()
	o.stop() // twice is harmless
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine()-workers.Idle() > base; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after stop, want %d: the helper did not end", runtime.NumGoroutine(), base)
		}
		time.Sleep(time.Millisecond)
	}
	o.run(func() { n++ }) // a new helper after stop
	o.stop()
	if n != 3 {
		t.Fatal("run after stop did not run")
	}
}
