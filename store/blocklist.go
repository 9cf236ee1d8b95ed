package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketBlocklists holds each account's XEP-0191 blocklist:
//
//	blocklists  NAME → JSON array of JIDs, in the order they were blocked
//
// The bucket is created with the first blocklist; an account that never
// blocks anyone has no record.
var bucketBlocklists = []byte("blocklists")

// Blocklist returns owner's blocked JIDs (nil: none).
func (db *DB) Blocklist(owner string) ([]string, error) {
	var out []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBlocklists)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(owner))
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(v, &out); err != nil {
			return fmt.Errorf("blocklist of %q is damaged: %w", owner, err)
		}
		return nil
	})
	return out, err
}

// UpdateBlocklist replaces owner's blocklist with what fn returns from the
// current one, atomically; fn's error aborts the change.
func (db *DB) UpdateBlocklist(owner string, fn func([]string) ([]string, error)) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketBlocklists)
		if err != nil {
			return err
		}
		var cur []string
		if v := b.Get([]byte(owner)); v != nil {
			if err := json.Unmarshal(v, &cur); err != nil {
				return fmt.Errorf("blocklist of %q is damaged: %w", owner, err)
			}
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		if len(next) == 0 {
			return b.Delete([]byte(owner))
		}
		v, err := json.Marshal(next)
		if err != nil {
			return err
		}
		return b.Put([]byte(owner), v)
	})
}

// deleteBlocklist removes owner's blocklist inside an account deletion.
func deleteBlocklist(tx *bolt.Tx, owner string) error {
	if b := tx.Bucket(bucketBlocklists); b != nil {
		return b.Delete([]byte(owner))
	}
	return nil
}
