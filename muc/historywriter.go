package muc

import (
	"sync"

	"jabberd/internal/batchq"
	"jabberd/store"
)

// A persistent room's history goes to the store through one writer
// goroutine per service, in batches (internal/batchq, as the message
// archive's): a groupchat message no longer waits, under its room's lock,
// for a transaction and an fsync of its own, and bbolt's one writer lock,
// which the archive's writer also needs, is taken once per batch. A room
// queues its messages under its lock, so the store's order is the order
// its occupants saw; the deletion of a room's history is queued after its
// messages, so none of them comes back. Close drains the queue (shutdown:
// nothing said in a persistent room is lost); a crash loses what was
// queued and not yet committed, the messages of the last fsync or so.

// Bounds of the history queue: rooms wait past histQueueLen messages or
// histQueueBytes (a message is at most MaxMessageBytes, 16 KiB by default).
const (
	histQueueLen   = 4096
	histQueueBytes = 4 << 20
	histBatchLen   = 1024
	histBatchBytes = 1 << 20
)

// histJob is a write of the history, or a flush (done set).
type histJob struct {
	w    store.RoomHistoryWrite
	done chan struct{}
}

// historyWriter commits the rooms' history in batches.
type historyWriter struct {
	s     *Service
	queue *batchq.Queue[histJob]
	done  sync.WaitGroup
	once  sync.Once
}

func startHistoryWriter(s *Service) *historyWriter {
	h := &historyWriter{s: s, queue: batchq.New(batchq.Bounds{
		Len: histQueueLen, Bytes: histQueueBytes, BatchLen: histBatchLen, BatchBytes: histBatchBytes,
	}, func(j histJob) int { return len(j.w.Rec) })}
	h.done.Go(func() { h.queue.Run(h.commit) })
	return h
}

// put queues a write (after close it is dropped: the server has stopped).
func (h *historyWriter) put(w store.RoomHistoryWrite) { h.queue.Put(histJob{w: w}, nil) }

// flush waits until what was queued before it is in the store.
func (h *historyWriter) flush() {
	done := make(chan struct{})
	if h.queue.Put(histJob{done: done}, nil) {
		<-done
	}
}

// close drains the queue into the store and stops the writer.
func (h *historyWriter) close() {
	h.once.Do(h.queue.Close)
	h.done.Wait()
}

func (h *historyWriter) commit(batch []histJob) {
	writes := make([]store.RoomHistoryWrite, 0, len(batch))
	for _, j := range batch {
		if j.done == nil {
			writes = append(writes, j.w)
		}
	}
	if err := h.s.opt.Store.AppendRoomHistories(writes, h.s.opt.MaxHistory); err != nil {
		h.s.opt.Log.Error().Err(err).Int("messages", len(writes)).Msg("saving room messages failed")
	}
	for _, j := range batch {
		if j.done != nil {
			close(j.done)
		}
	}
}
