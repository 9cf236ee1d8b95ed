// Package store is jabberd's embedded database: accounts, rosters (with
// their pending subscription requests) and offline messages, kept in one
// bbolt file in the state directory (DIR/jabberd.db).
//
// Layout (every value is one JSON record, so a file can be inspected with
// any bbolt viewer; numbers used as keys or counters are 8-byte big-endian):
//
//	meta       schema → SchemaVersion
//	accounts   NAME → account record
//	rosters    NAME/ → version, items/ JID → roster item record
//	offline    NAME/ SEQ → offline message record (SEQ from NextSequence: arrival order)
//	muc_rooms  SERVICE/ NAME → persistent room record (package muc; store/muc.go)
//	muc_history SERVICE/ NAME/ SEQ → a persistent room's recent messages (store/muchistory.go)
//	blocklists NAME → JSON array of blocked JIDs (store/blocklist.go)
//	vcards     NAME → the vcard-temp <vCard/> as XML; vcardphotos NAME → its photo's SHA-1 (store/vcard.go)
//	archive    OWNER-JID/ ID → a JSON header line, then the archived stanza; archive_counts, archive_prefs (store/archive.go)
//
// bbolt takes an exclusive lock on the file, so only one process uses a
// database at a time: while the server runs, `jabberd users` goes through
// its control socket, and a process that opens the file anyway gets
// ErrLocked instead of writing behind the server's back.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout this code writes. A file with a higher one was
// written by a newer jabberd and is refused rather than misread.
const SchemaVersion = 1

// FileName is the database's name inside the state directory.
const FileName = "jabberd.db"

// lockTimeout bounds the wait for bbolt's file lock: long enough to ride
// out a process that is just exiting, short enough to answer a person.
const lockTimeout = 1 * time.Second

// ErrLocked says another process holds the database open.
var ErrLocked = errors.New("the database is locked: is jabberd running? stop it first")

var (
	bucketMeta     = []byte("meta")
	bucketAccounts = []byte("accounts")
	bucketRosters  = []byte("rosters")
	bucketOffline  = []byte("offline")
	keySchema      = []byte("schema")
)

// DB is an open database. Its methods are safe for concurrent use.
type DB struct {
	bolt *bolt.DB
	path string
	now  func() time.Time // the clock of offline stamps; tests replace it
	// acache holds recently looked-up accounts (SetAccountCache); nil: off.
	acache *accountCache
}

// Path returns the database file of a state directory.
func Path(stateDir string) string { return filepath.Join(stateDir, FileName) }

// Open opens the database file at path (normally Path(stateDir)), creating
// it, and its directory, if needed. A file written by a newer schema is
// refused with an error naming the file and both versions; a file another
// process holds open gives an error wrapping ErrLocked after about a second.
func Open(path string) (*DB, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("open database %s: it is a directory; the database file is %s", path, Path(path))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// 0600: the file holds credentials, and passwords when the XEP-0078
	// digest is enabled.
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open database %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path, now: time.Now}
	if err := db.prepare(); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// prepare checks the schema version and creates the top-level buckets of a
// new file. Nothing is written to a file of a newer schema: the check comes
// first and the error rolls the transaction back.
func (db *DB) prepare() error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("database %s: %w", db.path, err)
		}
		if v := meta.Get(keySchema); v != nil {
			if len(v) != 8 {
				return fmt.Errorf("database %s: the schema version record is damaged (%d bytes, want 8)", db.path, len(v))
			}
			got := binary.BigEndian.Uint64(v)
			if got > SchemaVersion {
				return fmt.Errorf("database %s has schema version %d, newer than this jabberd's %d: it was written by a newer jabberd; run that one, or restore an older copy of the file",
					db.path, got, SchemaVersion)
			}
			// Older schemas would be migrated here; version 1 is the first.
		}
		if err := meta.Put(keySchema, u64(SchemaVersion)); err != nil {
			return fmt.Errorf("database %s: %w", db.path, err)
		}
		for _, name := range [][]byte{bucketAccounts, bucketRosters, bucketOffline} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("database %s: %w", db.path, err)
			}
		}
		return nil
	})
}

// Close releases the file and its lock.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// u64 encodes a counter or key as 8 bytes, big-endian, so that bbolt's byte
// order is numeric order.
func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// readU64 decodes what u64 wrote; a missing value is 0.
func readU64(b []byte) (uint64, error) {
	if b == nil {
		return 0, nil
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("damaged counter (%d bytes, want 8)", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// checkOwner refuses an empty owner name, which would otherwise become a
// bucket no account can reach.
func checkOwner(owner string) error {
	if owner == "" {
		return errors.New("empty account name")
	}
	return nil
}
