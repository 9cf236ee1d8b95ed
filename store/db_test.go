package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jabberd/accounts"
)

// openT opens a fresh database in a temporary state directory.
func openT(t testing.TB) (*DB, string) {
	t.Helper()
	path := Path(t.TempDir())
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestOpenCreatesStateDirAndPrivateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "nested")
	db, err := Open(Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fi, err := os.Stat(filepath.Join(dir, "jabberd.db"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database file mode %v, want 0600 (it holds credentials)", fi.Mode().Perm())
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("state dir: %v %v, want 0700", fi.Mode().Perm(), err)
	}
}

func TestOpenRefusesADirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), "is a directory") || !strings.Contains(err.Error(), Path(dir)) {
		t.Fatalf("Open(dir) = %v, want an error pointing at %s", err, Path(dir))
	}
}

func TestOpenWritesSchemaVersion(t *testing.T) {
	db, _ := openT(t)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v, err := readU64(tx.Bucket(bucketMeta).Get(keySchema))
		if err != nil {
			return err
		}
		if v != SchemaVersion {
			return fmt.Errorf("schema version %d, want %d", v, SchemaVersion)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	db, path := openT(t)
	if err := db.PutAccount(mustAccount(t, "alice", "pw")); err != nil {
		t.Fatal(err)
	}
	db.Close()

	raw, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, u64(99)) }); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	_, err = Open(path)
	if err == nil {
		t.Fatal("a database of schema version 99 was opened")
	}
	for _, want := range []string{path, "schema version 99", "this jabberd's 1", "newer jabberd"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	// The refusal wrote nothing: the version is still 99, and the file is
	// not left locked.
	raw, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.View(func(tx *bolt.Tx) error {
		if v, _ := readU64(tx.Bucket(bucketMeta).Get(keySchema)); v != 99 {
			t.Errorf("schema version after the refusal: %d, want 99", v)
		}
		return nil
	})
}

func TestOpenLockedFailsFast(t *testing.T) {
	first, path := openT(t)

	start := time.Now()
	second, err := Open(path)
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("a second Open of an open database succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("error %v does not wrap ErrLocked", err)
	}
	for _, want := range []string{path, "the database is locked: is jabberd running? stop it first"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if elapsed > 3*time.Second {
		t.Errorf("the locked Open took %v, want about %v", elapsed, lockTimeout)
	}

	// Once the first closes, the file opens again.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path)
	if err != nil {
		t.Fatalf("reopen after close: %v", err)
	}
	again.Close()
}

// TestConcurrentUse runs every kind of call from many goroutines at once;
// under -race it also checks that DB needs no locking of its own.
func TestConcurrentUse(t *testing.T) {
	db, _ := openT(t)
	if err := db.PutAccount(mustAccount(t, "alice", "pw")); err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jid := fmt.Sprintf("contact%d@example.org", w)
			for i := range rounds {
				_, _, _, err := db.UpdateRosterItem("alice", jid, func(it RosterItem, found bool) (RosterItem, bool) {
					it.Name = fmt.Sprintf("round %d", i) // a change every time: one bump each
					return it, true
				})
				errs <- err
				errs <- db.StoreOffline("alice", []byte(fmt.Sprintf("<message id='%d-%d'/>", w, i)), 0)
				a, err := db.Lookup("alice")
				if err == nil && !a.HasCredentials() {
					err = errors.New("alice lost her credentials")
				}
				errs <- err
				_, _, err = db.Roster("alice")
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	items, ver, err := db.Roster("alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != workers || ver != workers*rounds {
		t.Errorf("roster: %d items at version %d, want %d at %d", len(items), ver, workers, workers*rounds)
	}
	if n, err := db.CountOffline("alice"); err != nil || n != workers*rounds {
		t.Errorf("offline count %d (%v), want %d", n, err, workers*rounds)
	}
}

func mustAccount(t *testing.T, name, password string) *accounts.Account {
	t.Helper()
	a, err := accounts.NewAccount(name, password, accounts.Options{Iterations: 4096})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
