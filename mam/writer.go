package mam

import (
	"slices"
	"sync"
	"time"

	"jabberd/chat"
	"jabberd/internal/batchq"
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
	s     *Service
	queue *batchq.Queue[job]
	done  sync.WaitGroup // run and expire: close waits for both
	stop  chan struct{}  // ends the expiry loop
	once  sync.Once      // close's
}

func startWriter(s *Service) *writer {
	w := &writer{s: s, stop: make(chan struct{}), queue: batchq.New(batchq.Bounds{
		Len: queueLen, Bytes: queueBytes, BatchLen: batchMax, BatchBytes: batchBytes,
	}, func(j job) int { return len(j.stanza) })}
	w.done.Go(func() { w.queue.Run(w.commit) })
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
	var first func(*job)
	if newID {
		first = func(j *job) { j.ticket.ID = w.s.ids.next(); id = j.ticket.ID }
	}
	queued = w.queue.Put(j, first)
	return id, queued
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
	w.once.Do(func() {
		close(w.stop)
		w.queue.Close()
	})
	w.done.Wait()
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
