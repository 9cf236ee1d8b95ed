// Package batchq is the queue of a store writer: producers put entries in
// order, waiting only while the queue is at its bounds, and one goroutine
// takes them in batches, each committed in one transaction (one fsync per
// batch, not per entry). The message archive's writer and the rooms'
// history writer use it; bbolt has one writer at a time, so few, large
// transactions leave it free for the rest of the server.
package batchq

import "sync"

// Bounds are a queue's limits: producers wait while Len entries or Bytes
// of them are queued; a batch holds at most BatchLen entries and, past its
// first, BatchBytes.
type Bounds struct {
	Len, Bytes, BatchLen, BatchBytes int
}

// Queue is an ordered queue of T, bounded by Bounds; size says what an
// entry counts against the byte bounds.
type Queue[T any] struct {
	b    Bounds
	size func(T) int

	mu         sync.Mutex // guards the rest
	more, room sync.Cond  // the taker waits on more, producers past the bounds on room
	pending    []T
	bytes      int
	closed     bool
}

// New returns an empty queue.
func New[T any](b Bounds, size func(T) int) *Queue[T] {
	q := &Queue[T]{b: b, size: size}
	q.more.L, q.room.L = &q.mu, &q.mu
	return q
}

// Put queues e after waiting while the queue is full. first, when not
// nil, runs on e under the queue's lock just before it is queued (an ID
// handed out there makes the queue's order the IDs' order), also when the
// queue is closed; then e is dropped and Put reports false.
func (q *Queue[T]) Put(e T, first func(*T)) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for !q.closed && (len(q.pending) >= q.b.Len || q.bytes >= q.b.Bytes) {
		q.room.Wait()
	}
	if first != nil {
		first(&e)
	}
	if q.closed {
		return false
	}
	q.pending = append(q.pending, e)
	q.bytes += q.size(e)
	q.more.Signal()
	return true
}

// Len is the number of entries queued.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// Close ends the queue: what is queued is still taken, Put drops what
// comes after, and producers waiting for room return.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.more.Broadcast()
	q.room.Broadcast()
}

// Run hands commit the queue's batches in order until the queue is
// closed and empty (run it on the writer's goroutine).
func (q *Queue[T]) Run(commit func(batch []T)) {
	var batch []T
	for {
		q.mu.Lock()
		for len(q.pending) == 0 && !q.closed {
			q.more.Wait()
		}
		if len(q.pending) == 0 {
			q.mu.Unlock()
			return
		}
		batch = q.take(batch[:0])
		q.room.Broadcast()
		q.mu.Unlock()
		commit(batch)
		clear(batch) // what the entries hold is garbage once committed
	}
}

// take moves the next batch from the front of the queue into batch (q.mu
// held): at least one entry, then up to BatchLen or BatchBytes.
func (q *Queue[T]) take(batch []T) []T {
	n, size := 0, 0
	for n < len(q.pending) && n < q.b.BatchLen {
		s := q.size(q.pending[n])
		if n > 0 && size+s > q.b.BatchBytes {
			break
		}
		size += s
		n++
	}
	batch = append(batch, q.pending[:n]...)
	rest := copy(q.pending, q.pending[n:])
	clear(q.pending[rest:])
	q.pending = q.pending[:rest]
	q.bytes -= size
	if rest == 0 && cap(q.pending) > q.b.BatchLen {
		q.pending = nil // a burst's array goes back to the heap
	}
	return batch
}
