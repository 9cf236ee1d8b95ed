package transport

import (
	"sync"

	"jabberd/internal/workers"
)

// DefaultMaxQueued bounds what waits for one client that reads slowly: past
// it the client is disconnected and what it could not take goes to
// Settings.Undelivered.
const DefaultMaxQueued = 1 << 20

// outQueue holds what other connections sent this one (routed stanzas,
// channel lines) until a goroutine of this connection writes it. A sender
// never waits on this client's socket.
type outQueue struct {
	mu       sync.Mutex
	cond     sync.Cond // on mu: the writing goroutine finished
	items    []queued
	bytes    int
	draining bool          // a goroutine is writing the queue
	overflow bool          // the client stopped reading: nothing more is written
	closed   bool          // the connection is ending: deliveries are refused
	done     chan struct{} // made as the queue closes, closed once what was queued is handed on
}

// queued is one delivery: its bytes, and what Undelivered gets if it is
// never written.
type queued struct {
	b    []byte
	item any
}

// init readies the queue. The cond is inline and the done channel made
// only when the queue closes: every idle connection has a queue, and two
// allocations fewer each is about 150 bytes per session.
func (q *outQueue) init() { q.cond.L = &q.mu }

// Enqueue queues b for the client; item is what Settings.Undelivered gets
// if b is never written. It does not wait for the client: a goroutine of
// this connection writes the queue, one write per wake-up, and exits when
// it is empty (an idle connection has none). After the connection ended it
// returns ErrClosed, once everything queued before was handed on, so that a
// caller that stores refused deliveries keeps their order.
func (c *Conn) Enqueue(b []byte, item any) error {
	q := &c.queue
	q.mu.Lock()
	if q.closed {
		done := q.done
		q.mu.Unlock()
		<-done
		return ErrClosed
	}
	if limit := c.maxQueued(); q.bytes+len(b) > limit && !q.overflow {
		// The client does not read: it would never read an error either.
		// The connection is cut; what waits, this too, is handed on when
		// it ends.
		q.overflow = true
		c.Log().Info().Int("queued_bytes", q.bytes).Msg("the client does not read fast enough; closing")
		c.EndReason("the client did not read what was sent to it")
		c.cut()
	}
	q.items = append(q.items, queued{b, item})
	q.bytes += len(b)
	start := !q.draining
	q.draining = true
	q.mu.Unlock()
	if start {
		workers.Go(c.drain)
	}
	return nil
}

func (c *Conn) maxQueued() int {
	if c.set.MaxQueued > 0 {
		return c.set.MaxQueued
	}
	return DefaultMaxQueued
}

// drain writes the queue until it is empty. What cannot be written (the
// queue is closed, the socket failed) is handed to Undelivered: what the
// server accepted is written or handed on.
func (c *Conn) drain() {
	q := &c.queue
	failed := false
	for {
		q.mu.Lock()
		batch := q.items
		q.items = nil
		if len(batch) == 0 {
			q.draining = false
			q.cond.Broadcast()
			q.mu.Unlock()
			return
		}
		stopped := q.closed || q.overflow
		q.mu.Unlock()
		size := 0
		for _, d := range batch {
			size += len(d.b)
		}
		if failed || stopped {
			c.undelivered(batch)
		} else {
			buf := make([]byte, 0, size)
			for _, d := range batch {
				buf = append(buf, d.b...)
			}
			if err := c.Write(buf, nil); err != nil {
				failed = true
				c.undelivered(batch)
			}
		}
		// The batch counted against the bound until it left: a client that
		// does not read is found out while the write still waits.
		q.mu.Lock()
		q.bytes -= size
		q.mu.Unlock()
	}
}

// CloseQueue ends deliveries to this connection: it waits for the writing
// goroutine to finish, hands on what is left, and only then lets refused
// deliveries through (Enqueue returns ErrClosed). Call it before the
// connection leaves its router; safe to call again.
func (c *Conn) CloseQueue() {
	q := &c.queue
	q.mu.Lock()
	if q.closed {
		done := q.done
		q.mu.Unlock()
		<-done
		return
	}
	q.closed, q.done = true, make(chan struct{})
	for q.draining {
		q.cond.Wait()
	}
	rest := q.items
	q.items = nil
	q.mu.Unlock()
	c.undelivered(rest)
	close(q.done)
}

func (c *Conn) undelivered(batch []queued) {
	if c.set.Undelivered == nil {
		return
	}
	for _, d := range batch {
		c.set.Undelivered(d.item)
	}
}
