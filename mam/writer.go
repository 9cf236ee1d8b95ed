package mam

import (
	"slices"
	"sync"
	"time"

	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/store"
	"jabberd/stream"
)

// Queue bounds: queueLen messages may wait (Archive blocks past that: a
// slow disk slows senders rather than dropping entries), and a batch
// commits at most batchMax of them, or batchBytes of stanzas, in one
// transaction: bbolt has one writer at a time, and offline storage waits
// for it, so a transaction must stay short.
const (
	queueLen   = 4096
	batchMax   = 512
	batchBytes = 256 << 10
)

// job is one queued write: a message between accounts (owner empty), its
// withdrawal, a message for one owner's archive, the deletion of owner's
// whole archive (drop), or a flush (done set).
type job struct {
	ticket   chat.ArchiveTicket
	msg      *etree.Element // the message's copy, serialized by the writer into stanza
	stanza   []byte
	owner    string
	withdraw bool
	drop     bool
	done     chan struct{}
}

// serialize fills j.stanza from j.msg and returns its size.
func (j *job) serialize() int {
	if j.msg != nil {
		j.stanza, j.msg = stream.Marshal(j.msg), nil
	}
	return len(j.stanza)
}

// writer is the goroutine that commits the queue in batches.
type writer struct {
	s     *Service
	queue chan job

	mu     sync.RWMutex // closed is set under mu; put holds it shared
	closed bool
	done   sync.WaitGroup // run and expire: close waits for both
	stop   chan struct{}  // ends the expiry loop
}

func startWriter(s *Service) *writer {
	w := &writer{s: s, queue: make(chan job, queueLen), stop: make(chan struct{})}
	w.done.Go(w.run)
	if s.opt.Retention > 0 {
		w.done.Go(w.expire)
	}
	return w
}

// put queues j; after close it is dropped (the server no longer routes).
func (w *writer) put(j job) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return
	}
	w.queue <- j
}

// flush waits until everything queued before it is committed.
func (w *writer) flush() {
	done := make(chan struct{})
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return
	}
	w.queue <- job{done: done}
	w.mu.RUnlock()
	<-done
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
	close(w.queue)
	close(w.stop)
	w.mu.Unlock()
	w.done.Wait()
}

func (w *writer) run() {
	batch := make([]job, 0, batchMax)
	for j := range w.queue {
		size := j.serialize()
		batch = append(batch[:0], j)
	more:
		for len(batch) < batchMax && size < batchBytes {
			select {
			case j, ok := <-w.queue:
				if !ok {
					break more
				}
				size += j.serialize()
				batch = append(batch, j)
			default:
				break more
			}
		}
		w.commit(batch)
	}
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
