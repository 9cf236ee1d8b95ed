package server

import (
	"github.com/beevik/etree"

	"jabberd/stream"
)

// maxQueuedBytes bounds what waits for one client that reads slowly: past
// it the client is disconnected and what it could not take goes to offline
// storage.
const maxQueuedBytes = 1 << 20

// queued is a stanza waiting to be written, kept as an element as well so
// that it can go to offline storage if it never is.
type queued struct {
	el *etree.Element
	b  []byte
}

// Deliver implements session.Session: a stanza routed to this client. It
// only queues: the sender's goroutine never waits on this client's socket.
// A goroutine of this connection writes the queue, in one write per wake-up,
// and exits when it is empty; an idle connection has none.
//
// Order holds to the end: when the connection ends, what is still queued is
// stored before any delivery is refused (a refused delivery is stored by
// the router), so offline storage receives the messages in the order they
// came.
func (c *conn) Deliver(el *etree.Element) error {
	b := stream.Marshal(el)
	c.qmu.Lock()
	if c.qclosed {
		c.qmu.Unlock()
		<-c.qdone // what was queued is stored first
		return errClosed
	}
	if c.qbytes+len(b) > maxQueuedBytes && !c.overflow {
		// The client does not read: it would never read a stream error
		// either. The connection is cut; what waits, this one included,
		// goes to storage when it ends.
		c.overflow = true
		c.log.Info().Int("queued_bytes", c.qbytes).Msg("the client does not read fast enough; closing")
		c.tcp.Close()
	}
	c.queue = append(c.queue, queued{el, b})
	c.qbytes += len(b)
	start := !c.draining
	c.draining = true
	c.qmu.Unlock()
	if start {
		go c.drain()
	}
	return nil
}

// drain writes the queue until it is empty. What cannot be written (the
// queue is closed, the socket failed) goes to offline storage: a stanza the
// server accepted is written or stored.
func (c *conn) drain() {
	failed := false
	for {
		c.qmu.Lock()
		batch := c.queue
		c.queue = nil
		if len(batch) == 0 {
			c.draining = false
			c.qcond.Broadcast()
			c.qmu.Unlock()
			return
		}
		closed := c.qclosed || c.overflow
		c.qmu.Unlock()
		size := 0
		for _, q := range batch {
			size += len(q.b)
		}
		if failed || closed {
			c.store(batch)
		} else {
			buf := make([]byte, 0, size)
			for _, q := range batch {
				buf = append(buf, q.b...)
			}
			if err := c.write(buf, false); err != nil {
				failed = true
				c.store(batch)
			}
		}
		// The batch counted against the bound until it left: a client
		// that does not read is found out while the write still waits.
		c.qmu.Lock()
		c.qbytes -= size
		c.qmu.Unlock()
	}
}

// closeQueue ends deliveries to this connection: it waits for the writing
// goroutine to finish (it stores what it can no longer write), stores what
// is left, and only then lets refused deliveries through to the router.
// Call it before the session leaves the router. Safe to call twice.
func (c *conn) closeQueue() {
	c.qmu.Lock()
	if c.qclosed {
		c.qmu.Unlock()
		<-c.qdone
		return
	}
	c.qclosed = true
	for c.draining {
		c.qcond.Wait()
	}
	rest := c.queue
	c.queue = nil
	c.qmu.Unlock()
	c.store(rest)
	close(c.qdone)
}

func (c *conn) store(batch []queued) {
	for _, q := range batch {
		c.srv.router.StoreUndeliverable(q.el)
	}
}
