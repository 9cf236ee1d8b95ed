package mam

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/store"
)

// recStore records what the writer commits, in commit order.
type recStore struct {
	mu      sync.Mutex
	writes  []store.ArchiveWrite
	deleted []string
	// expire, when set, is called by ExpireArchive.
	expire func()
	// gate, when set, holds every commit until it can receive.
	gate    chan struct{}
	batches []int // each commit's number of writes
}

func (r *recStore) AppendArchive(writes []store.ArchiveWrite, max int) error {
	if r.gate != nil {
		<-r.gate
	}
	r.mu.Lock()
	r.batches = append(r.batches, len(writes))
	defer r.mu.Unlock()
	r.writes = append(r.writes, writes...)
	return nil
}

func (r *recStore) DeleteArchive(owner string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deleted = append(r.deleted, owner+"@"+strconv.Itoa(len(r.writes)))
	return nil
}

func (r *recStore) QueryArchive(string, store.ArchiveQuery) (store.ArchivePage, error) {
	return store.ArchivePage{}, nil
}
func (r *recStore) ExpireArchive(time.Time) (int, error) {
	if r.expire != nil {
		r.expire()
	}
	return 0, nil
}
func (r *recStore) LastArchiveID() (uint64, error) { return 0, nil }
func (r *recStore) ArchivePrefs(string) (store.ArchivePrefs, bool, error) {
	return store.ArchivePrefs{}, false, nil
}
func (r *recStore) SetArchivePrefs(string, store.ArchivePrefs) error { return nil }
func (r *recStore) RosterItem(string, string) (store.RosterItem, bool, error) {
	return store.RosterItem{}, false, nil
}

func newRecService(t *testing.T) (*Service, *recStore) {
	t.Helper()
	st := &recStore{}
	s, err := New(Options{Domain: "localhost", Store: st, MaxMessages: 1 << 20, MaxPage: 50, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// TestAppendQueuesInIDOrder: senders appending to one archive at once
// queue their entries in ID order, so that no commit holds an ID while a
// smaller one is yet to come (a client paging with after-id would never
// see it).
func TestAppendQueuesInIDOrder(t *testing.T) {
	s, st := newRecService(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 2000 {
				s.Append("room@conference.localhost", "room@conference.localhost/a", []byte("<message/>"))
			}
		})
	}
	wg.Wait()
	s.Close()
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.writes) != 16000 {
		t.Fatalf("%d entries committed, want 16000", len(st.writes))
	}
	for i := 1; i < len(st.writes); i++ {
		if a, b := st.writes[i-1].Entry.ID, st.writes[i].Entry.ID; b <= a {
			t.Fatalf("entry %d: ID %d committed after %d", i, b, a)
		}
	}
}

// TestDeleteIsOrdered: a deletion is applied after the entries queued
// before it and before those queued after it, in a batch or across (an
// account deleted with entries on their way, a room made again).
func TestDeleteIsOrdered(t *testing.T) {
	s, st := newRecService(t)
	s.Append("room@conference.localhost", "a", []byte("<message/>"))
	s.Append("room@conference.localhost", "a", []byte("<message/>"))
	s.Delete("room@conference.localhost")
	s.Append("room@conference.localhost", "b", []byte("<message/>"))
	s.Close()
	st.mu.Lock()
	defer st.mu.Unlock()
	if !slices.Equal(st.deleted, []string{"room@conference.localhost@2"}) || len(st.writes) != 3 || st.writes[2].Entry.With != "b" {
		t.Errorf("deleted %q, writes %+v", st.deleted, st.writes)
	}
}

// TestCloseWaitsForExpiry: Close returns once the expiry, which uses the
// store, has ended too (the store closes after it).
func TestCloseWaitsForExpiry(t *testing.T) {
	var inside atomic.Int32
	entered, release := make(chan struct{}, 1), make(chan struct{})
	st := &recStore{expire: func() {
		inside.Add(1)
		defer inside.Add(-1)
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
	}}
	s, err := New(Options{Domain: "localhost", Store: st, MaxMessages: 10, MaxPage: 50, Retention: time.Hour, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(release)
	}()
	s.Close()
	if n := inside.Load(); n != 0 {
		t.Errorf("Close returned with the expiry still in the store (%d)", n)
	}
}

// TestQueueBoundsAndBatches: while a commit is under way the queue takes
// up to queueLen entries and then holds the sender; once the disk is
// back, the queue goes out in batches of at most batchMax entries and
// batchBytes of stanzas, in order.
func TestQueueBoundsAndBatches(t *testing.T) {
	st := &recStore{gate: make(chan struct{})}
	s, err := New(Options{Domain: "localhost", Store: st, MaxMessages: 1 << 20, MaxPage: 50, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	const owner = "room@conference.localhost"
	s.Append(owner, "a", []byte("<message/>")) // the commit the gate holds
	for s.w.queue.Len() > 0 {                  // the writer takes it
		time.Sleep(time.Millisecond)
	}
	big := make([]byte, batchBytes/3+1) // two fit in a batch, not three
	for range 8 {
		s.Append(owner, "big", big)
	}
	for range queueLen - 8 {
		s.Append(owner, "a", []byte("<message/>"))
	}
	queued := make(chan struct{})
	go func() {
		s.Append(owner, "last", []byte("<message/>"))
		close(queued)
	}()
	select {
	case <-queued:
		t.Fatal("a sender was queued past queueLen")
	case <-time.After(200 * time.Millisecond):
	}
	close(st.gate)
	<-queued
	s.Close()
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.writes) != queueLen+2 {
		t.Fatalf("%d writes, want %d", len(st.writes), queueLen+2)
	}
	if !slices.Equal(st.batches[:5], []int{1, 2, 2, 2, batchMax}) {
		t.Errorf("first batches %v, want 1, then the large stanzas two by two, then batchMax", st.batches[:5])
	}
	for i, n := range st.batches {
		if n > batchMax {
			t.Errorf("batch %d: %d writes, past batchMax", i, n)
		}
	}
	for i := 1; i < len(st.writes); i++ {
		if a, b := st.writes[i-1].Entry.ID, st.writes[i].Entry.ID; b <= a {
			t.Fatalf("entry %d: ID %d committed after %d", i, b, a)
		}
	}
	if w := st.writes[len(st.writes)-1]; w.Entry.With != "last" {
		t.Errorf("last write is %q's", w.Entry.With)
	}
}
