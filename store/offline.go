package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrQuotaExceeded is returned by StoreOffline when the owner's offline
// storage is full (RFC 6121 §8.5.2.2.1 lets the server refuse then; XEP-0160
// §4 answers the sender with service-unavailable).
var ErrQuotaExceeded = errors.New("offline message storage is full")

// Offline is one stored message: the serialized stanza and when it was
// stored (for the XEP-0203 delay stamp).
type Offline struct {
	Stanza []byte
	Stored time.Time
}

// offlineRecord is an offline message as stored.
type offlineRecord struct {
	Stanza []byte    `json:"stanza"`
	Stored time.Time `json:"stored"`
}

// StoreOffline appends a message for owner. When owner already has quota
// messages it returns ErrQuotaExceeded and stores nothing; a quota of 0 or
// less means no limit. The store does not check that owner has an account.
func (db *DB) StoreOffline(owner string, stanza []byte, quota int) error {
	if err := checkOwner(owner); err != nil {
		return fmt.Errorf("store offline message: %w", err)
	}
	v, err := json.Marshal(offlineRecord{Stanza: stanza, Stored: db.now().UTC()})
	if err != nil {
		return fmt.Errorf("store offline message for %q: %w", owner, err)
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		ob, err := tx.Bucket(bucketOffline).CreateBucketIfNotExists([]byte(owner))
		if err != nil {
			return fmt.Errorf("store offline message for %q: %w", owner, err)
		}
		if quota > 0 && countKeys(ob) >= quota {
			return fmt.Errorf("store offline message for %q (%d stored): %w", owner, quota, ErrQuotaExceeded)
		}
		seq, err := ob.NextSequence()
		if err != nil {
			return fmt.Errorf("store offline message for %q: %w", owner, err)
		}
		if err := ob.Put(u64(seq), v); err != nil {
			return fmt.Errorf("store offline message for %q: %w", owner, err)
		}
		return nil
	})
}

// TakeOffline returns owner's offline messages in arrival order and deletes
// them, in one transaction: a message is handed out once, and a failure
// deletes nothing.
func (db *DB) TakeOffline(owner string) ([]Offline, error) {
	// Most logins find nothing waiting: look in a read transaction first,
	// because a write transaction costs an fsync even when it changes
	// nothing, and there is only one writer at a time.
	waiting := false
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		waiting = tx.Bucket(bucketOffline).Bucket([]byte(owner)) != nil
		return nil
	}); err != nil || !waiting {
		return nil, err
	}
	var msgs []Offline
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		top := tx.Bucket(bucketOffline)
		ob := top.Bucket([]byte(owner))
		if ob == nil {
			return nil
		}
		err := ob.ForEach(func(k, v []byte) error { // big-endian keys: arrival order
			var r offlineRecord
			if err := json.Unmarshal(v, &r); err != nil {
				seq, _ := readU64(k)
				return fmt.Errorf("offline message %d for %q: damaged record: %w", seq, owner, err)
			}
			msgs = append(msgs, Offline(r))
			return nil
		})
		if err != nil {
			return err
		}
		// Deleting the bucket also restarts its sequence, harmlessly: the
		// order only matters among messages stored together.
		if err := top.DeleteBucket([]byte(owner)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return fmt.Errorf("delete offline messages of %q: %w", owner, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// CountOffline returns how many messages owner has waiting.
func (db *DB) CountOffline(owner string) (int, error) {
	n := 0
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if ob := tx.Bucket(bucketOffline).Bucket([]byte(owner)); ob != nil {
			n = countKeys(ob)
		}
		return nil
	})
	return n, err
}

// countKeys walks the bucket: quotas are small, and a walk cannot drift
// from the truth the way a stored counter could.
func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}
