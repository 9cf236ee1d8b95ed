package workers

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// deep recurses n frames of a few hundred bytes each, so that the stack
// it runs on grows.
func deep(n int) int {
	var pad [256]byte
	pad[n%256] = byte(n)
	if n == 0 {
		return int(pad[0])
	}
	return deep(n-1) + int(pad[n%256])
}

// TestJobsRunAndGoroutinesAreKept: jobs handed one after the other run, in
// order, on the one goroutine kept from the first: no goroutine is made
// for them. (That the kept goroutine's stack stays grown is the runtime's
// doing; BenchmarkDeepJob measures what it saves.)
func TestJobsRunAndGoroutinesAreKept(t *testing.T) {
	var wg sync.WaitGroup
	wg.Add(1)
	Go(func() { deep(64); wg.Done() })
	wg.Wait()
	waitIdle(t, 1)
	before := runtime.NumGoroutine()
	ran := make(chan int, 10)
	for i := range 10 {
		Go(func() { ran <- i })
		if got := <-ran; got != i {
			t.Fatalf("job %d ran as %d", i, got)
		}
		waitIdle(t, 1)
	}
	if after := runtime.NumGoroutine(); after != before {
		t.Errorf("ten jobs one after the other: %d goroutines, before %d; want the one kept goroutine to run them all", after, before)
	}
}

// TestAtMostMaxIdleAreKept: a burst of jobs wider than maxIdle gets a
// goroutine each; when they are done, maxIdle wait and the rest ended.
func TestAtMostMaxIdleAreKept(t *testing.T) {
	const burst = maxIdle + 36
	base := runtime.NumGoroutine() - Idle()
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(burst)
	for range burst {
		Go(func() { started.Done(); <-release })
	}
	started.Wait()
	if n := runtime.NumGoroutine() - Idle() - base; n < burst {
		t.Fatalf("%d jobs in flight on %d busy goroutines, want one each", burst, n)
	}
	close(release)
	waitIdle(t, maxIdle)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine()-Idle() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d busy goroutines after the burst, %d before: the ones beyond maxIdle did not end", runtime.NumGoroutine()-Idle(), base)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitIdle(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); Idle() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines wait for a job after 5 s, want %d", Idle(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkDeepJob: a job that grows its stack to about 16 KiB, on a kept
// goroutine (Go) and on a new one each time (the go statement).
func BenchmarkDeepJob(b *testing.B) {
	done := make(chan int)
	job := func() { done <- deep(48) }
	b.Run("workers.Go", func(b *testing.B) {
		for b.Loop() {
			Go(job)
			<-done
		}
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			go job()
			<-done
		}
	})
}

// TestWaitingLetsTheJobGo: what a finished job's closure held can be
// collected while its goroutine waits for the next job.
func TestWaitingLetsTheJobGo(t *testing.T) {
	type conn struct{ buf [1 << 10]byte }
	collected := make(chan struct{})
	done := make(chan struct{})
	func() {
		c := &conn{}
		runtime.AddCleanup(c, func(struct{}) { close(collected) }, struct{}{})
		Go(func() { c.buf[0] = 1; close(done) })
	}()
	<-done
	waitIdle(t, 1)
	for deadline := time.Now().Add(5 * time.Second); ; {
		runtime.GC()
		select {
		case <-collected:
			return
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the finished job's closure is still reachable 5 s later: a waiting goroutine holds it")
		}
	}
}
