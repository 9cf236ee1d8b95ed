package transport

import "jabberd/internal/workers"

// A goroutine's stack grows to the deepest call it ever made and stays near
// that size while the goroutine lives (the runtime halves it only when less
// than a quarter is in use). Negotiation is the deepest thing a connection
// does — the TLS handshake (key exchange, signature), SASL, PRECIS, the
// account store — and happens a few times per connection: run on the
// connection's own goroutine, it left every idle session with a 16 KiB stack
// for the rest of its life. So negotiation runs on a helper of the
// connection, a job on a kept goroutine (internal/workers) started at the
// first call and ended once the session is established (EndOffStack) or the
// connection ends: its goroutine, grown stack and all, then waits for the
// next job (the next connection's negotiation), and the connection's
// goroutine keeps only what reading an established session needs (8 KiB
// measured at 10 000 sessions, from 16). One helper for the whole
// negotiation rather than a job per call: each call would be a hand-over
// between goroutines (and a goroutine made new grows its stack from 2 KiB
// again, which cost 27 µs per login).
type offStack struct {
	calls chan func()
	done  chan any // what the call panicked with, or nil
}

// OffStack calls f on the connection's helper goroutine and waits for it. A
// panic in f is carried back to the connection's goroutine, where Serve's
// recover handles it. Only the connection's goroutine calls it.
func (c *Conn) OffStack(f func()) { c.helper.run(f) }

// EndOffStack ends the helper's job: negotiation is over (a later OffStack
// starts a new one).
func (c *Conn) EndOffStack() { c.helper.stop() }

func (o *offStack) run(f func()) {
	if o.calls == nil {
		o.calls, o.done = make(chan func()), make(chan any)
		calls, done := o.calls, o.done
		workers.Go(func() { o.serve(calls, done) })
	}
	o.calls <- f
	if v := <-o.done; v != nil {
		panic(v)
	}
}

func (o *offStack) serve(calls chan func(), done chan any) {
	for f := range calls {
		func() {
			defer func() { done <- recover() }()
			f()
		}()
	}
}

func (o *offStack) stop() {
	if o.calls != nil {
		close(o.calls)
		o.calls, o.done = nil, nil
	}
}
