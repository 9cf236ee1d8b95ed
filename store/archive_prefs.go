package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ArchivePrefs are an owner's archiving preferences (XEP-0313 §6): the
// default for a JID ("always", "never" or "roster": only contacts in the
// roster) and the bare JIDs always or never archived whatever the default.
type ArchivePrefs struct {
	Default string   `json:"default"`
	Always  []string `json:"always,omitempty"`
	Never   []string `json:"never,omitempty"`
}

// ArchivePrefs returns owner's preferences; false when it never set any.
func (db *DB) ArchivePrefs(owner string) (ArchivePrefs, bool, error) {
	var p ArchivePrefs
	found := false
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketArchivePrefs)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(owner))
		if v == nil {
			return nil
		}
		found = true
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("archive preferences of %q: damaged record: %w", owner, err)
		}
		return nil
	})
	return p, found, err
}

// SetArchivePrefs replaces owner's preferences.
func (db *DB) SetArchivePrefs(owner string, p ArchivePrefs) error {
	if err := checkOwner(owner); err != nil {
		return fmt.Errorf("archive preferences: %w", err)
	}
	v, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("archive preferences of %q: %w", owner, err)
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketArchivePrefs)
		if err != nil {
			return fmt.Errorf("archive preferences of %q: %w", owner, err)
		}
		return b.Put([]byte(owner), v)
	})
}
