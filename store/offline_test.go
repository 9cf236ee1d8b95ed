package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOfflineOrderAndStamps(t *testing.T) {
	db, path := openT(t)
	base := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
	n := 0
	db.now = func() time.Time { n++; return base.Add(time.Duration(n) * time.Second) }

	// More than 255 messages: the keys must order numerically, not by
	// their last byte.
	const count = 300
	for i := range count {
		if err := db.StoreOffline("bob", []byte(fmt.Sprintf("<message id='m%d'/>", i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.StoreOffline("carol", []byte("<message id='c'/>"), 0); err != nil {
		t.Fatal(err)
	}
	if c, err := db.CountOffline("bob"); err != nil || c != count {
		t.Fatalf("CountOffline = %d, %v", c, err)
	}

	db.Close() // messages outlive a restart
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	msgs, err := db.TakeOffline("bob")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != count {
		t.Fatalf("took %d messages, want %d", len(msgs), count)
	}
	for i, m := range msgs {
		if want := fmt.Sprintf("<message id='m%d'/>", i); string(m.Stanza) != want {
			t.Fatalf("message %d is %q, want %q", i, m.Stanza, want)
		}
		if want := base.Add(time.Duration(i+1) * time.Second); !m.Stored.Equal(want) || m.Stored.Location() != time.UTC {
			t.Fatalf("message %d stored at %v, want %v in UTC", i, m.Stored, want)
		}
	}
	if again, err := db.TakeOffline("bob"); err != nil || len(again) != 0 {
		t.Errorf("second take: %d messages, %v", len(again), err)
	}
	if c, _ := db.CountOffline("bob"); c != 0 {
		t.Errorf("count after take %d", c)
	}
	if c, _ := db.CountOffline("carol"); c != 1 {
		t.Errorf("carol's count %d, want 1 (untouched)", c)
	}
	if msgs, err := db.TakeOffline("nobody"); err != nil || msgs != nil {
		t.Errorf("take for an owner with nothing: %v, %v", msgs, err)
	}
}

func TestOfflineQuota(t *testing.T) {
	db, _ := openT(t)
	for i := range 3 {
		if err := db.StoreOffline("bob", []byte(fmt.Sprint(i)), 3); err != nil {
			t.Fatalf("message %d under the quota: %v", i, err)
		}
	}
	err := db.StoreOffline("bob", []byte("over"), 3)
	if !errors.Is(err, ErrQuotaExceeded) || !strings.Contains(err.Error(), `"bob"`) {
		t.Errorf("fourth message: %v, want ErrQuotaExceeded naming bob", err)
	}
	if c, _ := db.CountOffline("bob"); c != 3 {
		t.Errorf("count after the refusal %d, want 3", c)
	}
	msgs, _ := db.TakeOffline("bob")
	if len(msgs) != 3 || string(msgs[2].Stanza) != "2" {
		t.Errorf("took %d messages, last %q", len(msgs), msgs[len(msgs)-1].Stanza)
	}
	if err := db.StoreOffline("bob", []byte("after"), 3); err != nil {
		t.Errorf("after the take the quota has room again: %v", err)
	}
	// A quota of 0 is no limit.
	for i := range 10 {
		if err := db.StoreOffline("carol", []byte(fmt.Sprint(i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.StoreOffline("", []byte("x"), 0); err == nil {
		t.Error("an empty owner was accepted")
	}
}

// TestOfflineTakeIsAtomic stores and takes at the same time from many
// goroutines: every message is handed out exactly once.
func TestOfflineTakeIsAtomic(t *testing.T) {
	db, _ := openT(t)
	const producers, each, takers = 4, 50, 4
	var (
		mu    sync.Mutex
		seen  = map[string]int{}
		wg    sync.WaitGroup
		done  = make(chan struct{})
		errCh = make(chan error, producers*each+takers)
	)
	take := func() {
		msgs, err := db.TakeOffline("bob")
		if err != nil {
			errCh <- err
			return
		}
		mu.Lock()
		for _, m := range msgs {
			seen[string(m.Stanza)]++
		}
		mu.Unlock()
	}
	for range takers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
					take()
				}
			}
		}()
	}
	var pw sync.WaitGroup
	for p := range producers {
		pw.Add(1)
		go func() {
			defer pw.Done()
			for i := range each {
				if err := db.StoreOffline("bob", []byte(fmt.Sprintf("%d-%d", p, i)), 0); err != nil {
					errCh <- err
				}
			}
		}()
	}
	pw.Wait()
	close(done)
	wg.Wait()
	take() // what arrived after the takers' last round
	close(errCh)
	for err := range errCh {
		t.Fatal(err)
	}
	if len(seen) != producers*each {
		t.Errorf("%d distinct messages taken, want %d", len(seen), producers*each)
	}
	for s, n := range seen {
		if n != 1 {
			t.Errorf("message %s taken %d times", s, n)
		}
	}
}
