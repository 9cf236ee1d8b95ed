// Package workers runs short jobs on goroutines that are kept for the next
// job instead of ending.
//
// A new goroutine starts with a small stack and grows it by copying
// (runtime.copystack, which walks every frame) each time a call goes
// deeper: a TLS handshake or record, the XML reader, the account store.
// The jobs of a connection — serving it until it parks (negotiation
// included), resuming it, draining its queue — each did that on a fresh
// goroutine, a twentieth of a login's CPU. A kept goroutine keeps its
// grown stack for the next job. At most maxIdle wait at a time, so an
// idle server keeps a bounded few (and the collector halves the stacks of
// those that wait); a burst beyond them gets new goroutines, which end
// with their job.
package workers

import "sync"

// maxIdle is how many goroutines wait for a job at most. A few times the
// jobs in flight on a busy 2-core machine; at the 16 KiB a handshake grows
// a stack to, 64 hold at most 1 MiB.
const maxIdle = 64

var idle struct {
	sync.Mutex
	ws []chan func()
}

// Go runs f on a waiting goroutine, or on a new one. As with the go
// statement, a panic in f that f does not recover ends the program.
func Go(f func()) {
	idle.Lock()
	if n := len(idle.ws); n > 0 {
		w := idle.ws[n-1]
		idle.ws = idle.ws[:n-1]
		idle.Unlock()
		w <- f
		return
	}
	idle.Unlock()
	go work(f)
}

// work runs f, then the jobs Go hands it while it waits, until there are
// maxIdle others waiting when it finishes one.
func work(f func()) {
	var w chan func()
	for {
		f()
		// f is dead from here until the next job is received (the
		// compiler's liveness), so what the job's closure holds (a
		// connection, its TLS state) is not kept by a goroutine that only
		// waits; TestWaitingLetsTheJobGo checks it.
		idle.Lock()
		if len(idle.ws) >= maxIdle {
			idle.Unlock()
			return
		}
		if w == nil {
			w = make(chan func(), 1)
		}
		idle.ws = append(idle.ws, w)
		idle.Unlock()
		f = <-w
	}
}

// Idle is how many goroutines wait for a job (tests subtract it when they
// count goroutines).
func Idle() int {
	idle.Lock()
	defer idle.Unlock()
	return len(idle.ws)
}
