package mam

import (
	"slices"
	"sync"
	"time"

	"jabberd/chat"
	"jabberd/store"
)

// Queue bounds. Senders wait only when queueLen entries or queueBytes of
// stanzas are queued: the queue must outlast one commit at the rates the
// server carries (an fsync on a busy disk takes 50-200 ms, during which
// 40 000 messages a second keep coming), or every sender, a round trip
// included, waits for the disk. A batch commits at most batchMax entries,
// or batchBytes of stanzas, in one transaction: bbolt has one writer at a
// time, and offline storage waits for it, so a transaction stays short
// (batchMax entries cost the writer about 10 ms of CPU), yet a batch must
// be large enough that one fsync per batch keeps up with the senders
// (batchMax over an fsync's time is the writer's rate).
const (
	queueLen   = 16384
	queueBytes = 8 << 20
	batchMax   = 4096
	batchBytes = 1 << 20
)

// job is one queued write: a message between accounts (owner empty), its
// withdrawal, a message for one owner's archive, the deletion of owner's
// whole archive (drop), or a flush (done set).
type job struct {
	ticket   chat.ArchiveTicket
	stanza   []byte // the message as routed, serialized by its sender
	owner    string
	withdraw bool
	drop     bool
	done     chan struct{}
}

// writer is the goroutine that commits the queue in batches.
type writer struct {
	s *Service

	// mu guards the queue: pending in queue order, its stanzas' size,
	// and closed. The writer waits on more, senders past the bounds on
	// room.
	mu           sync.Mutex
	more, room   sync.Cond
	pending      []job
	pendingBytes int
	closed       bool

	done sync.WaitGroup // run and expire: close waits for both
	stop chan struct{}  // ends the expiry loop
}

func startWriter(s *Service) *writer {
	w := &writer{s: s, stop: make(chan struct{})}
	w.more.L, w.room.L = &w.mu, &w.mu
	w.done.Go(w.run)
	if s.opt.Retention > 0 {
		w.done.Go(w.expire)
	}
	return w
}

// put queues j, first giving it the next archive ID when newID is set
// (under the queue's lock, so that the queue is in ID order: a query's
// flush never commits an ID while a smaller one is still on its way to
// the queue, and a client syncing with after-id would skip it for good).
// It waits while the queue is full. After close j is dropped (the server
// no longer routes; the ID is still handed out) and queued is false.
func (w *writer) put(j job, newID bool) (id uint64, queued bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for !w.closed && (len(w.pending) >= queueLen || w.pendingBytes >= queueBytes) {
		w.room.Wait()
	}
	if newID {
		j.ticket.ID = w.s.ids.next()
	}
	if w.closed {
		return j.ticket.ID, false
	}
	w.pending = append(w.pending, j)
	w.pendingBytes += len(j.stanza)
	w.more.Signal()
	return j.ticket.ID, true
}

// flush waits until everything queued before it is committed (the writer
// drains the queue before it ends, so a queued flush is always released).
func (w *writer) flush() {
	done := make(chan struct{})
	if _, queued := w.put(job{done: done}, false); queued {
		<-done
	}
}

// close drains the queue and waits for the writer and the expiry to end
// (the store closes after).
func (w *writer) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	close(w.stop)
	w.more.Broadcast()
	w.room.Broadcast()
	w.mu.Unlock()
	w.done.Wait()
}

func (w *writer) run() {
	var batch []job
	for {
		w.mu.Lock()
		for len(w.pending) == 0 && !w.closed {
			w.more.Wait()
		}
		if len(w.pending) == 0 {
			w.mu.Unlock()
			return
		}
		batch = w.take(batch[:0])
		w.room.Broadcast()
		w.mu.Unlock()
		w.commit(batch)
		clear(batch) // the stanzas are garbage once committed
	}
}

// take moves the next batch from the front of the queue into batch
// (w.mu held): at least one entry, then up to batchMax or batchBytes.
func (w *writer) take(batch []job) []job {
	n, size := 0, 0
	for n < len(w.pending) && n < batchMax && (n == 0 || size+len(w.pending[n].stanza) <= batchBytes) {
		size += len(w.pending[n].stanza)
		n++
	}
	batch = append(batch, w.pending[:n]...)
	rest := copy(w.pending, w.pending[n:])
	clear(w.pending[rest:])
	w.pending = w.pending[:rest]
	w.pendingBytes -= size
	if rest == 0 && cap(w.pending) > batchMax {
		w.pending = nil // a burst's array goes back to the heap
	}
	return batch
}

// commit writes one batch in queue order (a deletion of an archive after
// the writes queued before it, before those queued after it), then
// releases the flushes in it.
func (w *writer) commit(batch []job) {
	var writes []store.ArchiveWrite
	for _, j := range batch {
		switch {
		case j.drop:
			w.append(writes)
			writes = writes[:0]
			w.drop(j.owner)
		case j.done == nil:
			writes = w.s.appendWrites(writes, j)
		}
	}
	w.append(writes)
	for _, j := range batch {
		if j.done != nil {
			close(j.done)
		}
	}
}

func (w *writer) append(writes []store.ArchiveWrite) {
	if len(writes) == 0 {
		return
	}
	if err := w.s.opt.Store.AppendArchive(writes, w.s.opt.MaxMessages); err != nil {
		w.s.opt.Log.Error().Err(err).Int("messages", len(writes)).Msg("archiving failed; the messages were delivered but are not in the archive")
	}
}

// drop deletes owner's archive and preferences, and forgets the
// preferences read before.
func (w *writer) drop(owner string) {
	if err := w.s.opt.Store.DeleteArchive(owner); err != nil {
		w.s.opt.Log.Error().Err(err).Str("owner", owner).Msg("deleting an archive failed")
	}
	w.s.prefs.Remove(owner)
}

// appendWrites adds a job's archive writes: for a message between
// accounts, one per account whose preferences keep it (Archive decided);
// a withdrawal deletes the same entries.
func (s *Service) appendWrites(writes []store.ArchiveWrite, j job) []store.ArchiveWrite {
	t := j.ticket
	if j.owner != "" {
		return append(writes, store.ArchiveWrite{Owner: j.owner, Entry: store.ArchiveEntry{ID: t.ID, With: normalJID(t.From), Stanza: j.stanza}})
	}
	if t.KeepTo {
		writes = append(writes, store.ArchiveWrite{Owner: t.To, Delete: j.withdraw, Entry: store.ArchiveEntry{ID: t.ID, With: t.From, Stanza: j.stanza}})
	}
	if t.KeepFrom {
		writes = append(writes, store.ArchiveWrite{Owner: chat.Bare(t.From), Delete: j.withdraw, Entry: store.ArchiveEntry{ID: t.ID, With: t.With, Stanza: j.stanza}})
	}
	return writes
}

// keeps applies owner's preferences (XEP-0313 §6) to a message with the
// bare JID with: the never list, then the always list, then the default;
// an account that set none keeps everything. It runs on the sender's
// goroutine: the preferences come from memory after the first read of an
// account (only "roster" reads the store, the roster item, per message).
func (s *Service) keeps(owner, with string) bool {
	p, ok := s.prefs.Get(owner)
	if !ok {
		stored, found, err := s.opt.Store.ArchivePrefs(owner)
		if err != nil {
			s.opt.Log.Error().Err(err).Str("account", owner).Msg("reading archiving preferences failed; archived")
			return true
		}
		if !found {
			stored = store.ArchivePrefs{Default: "always"}
		}
		s.prefs.ContainsOrAdd(owner, stored)
		p = stored
	}
	switch {
	case slices.Contains(p.Never, with):
		return false
	case slices.Contains(p.Always, with):
		return true
	case p.Default == "never":
		return false
	case p.Default == "roster":
		_, in, err := s.opt.Store.RosterItem(chat.LocalPart(owner, s.domain), with)
		return in && err == nil
	}
	return true
}

// expire drops what is past the retention, at start and then every
// tenth of it (between a minute and an hour).
func (w *writer) expire() {
	every := min(max(w.s.opt.Retention/10, time.Minute), time.Hour)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := w.s.opt.Store.ExpireArchive(time.Now().Add(-w.s.opt.Retention))
		if err != nil {
			w.s.opt.Log.Error().Err(err).Msg("expiring archived messages failed")
		} else if n > 0 {
			w.s.opt.Log.Info().Int("messages", n).Msg("archived messages past chat.archive_retention deleted")
		}
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
	}
}
