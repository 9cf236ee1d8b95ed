package mam

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"
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
}

func (r *recStore) AppendArchive(writes []store.ArchiveWrite, max int) error {
	r.mu.Lock()
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
				s.Append("room@conference.localhost", "room@conference.localhost/a", etree.NewElement("message"))
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
	s.Append("room@conference.localhost", "a", etree.NewElement("message"))
	s.Append("room@conference.localhost", "a", etree.NewElement("message"))
	s.Delete("room@conference.localhost")
	s.Append("room@conference.localhost", "b", etree.NewElement("message"))
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
