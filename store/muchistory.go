package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketRoomHistory holds the recent messages of persistent rooms, so that
// a joiner after a restart gets the history it would have got before:
//
//	muc_history  SERVICE/ NAME/ SEQ → message record (package muc's JSON)
//
// SEQ comes from the room bucket's NextSequence; messages are only ever
// removed from the front, so the keys of a room are consecutive and the
// count is last-first+1 without a scan.
var bucketRoomHistory = []byte("muc_history")

// AppendRoomHistory adds rec as the newest message of a room of service and
// drops the oldest past keep.
func (db *DB) AppendRoomHistory(service, name string, rec []byte, keep int) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(bucketRoomHistory)
		if err != nil {
			return err
		}
		svc, err := top.CreateBucketIfNotExists([]byte(service))
		if err != nil {
			return err
		}
		b, err := svc.CreateBucketIfNotExists([]byte(name))
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(u64(seq), rec); err != nil {
			return fmt.Errorf("room history %s@%s: %w", name, service, err)
		}
		// Collected first: deleting under a cursor skips keys.
		var old [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil && len(k) == 8 && seq-binary.BigEndian.Uint64(k)+1 > uint64(max(keep, 0)); k, _ = c.Next() {
			old = append(old, k)
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// RoomHistory returns a room's stored messages, oldest first.
func (db *DB) RoomHistory(service, name string) ([][]byte, error) {
	var out [][]byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := roomHistoryBucket(tx, service, name)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			out = append(out, append([]byte(nil), v...))
			return nil
		})
	})
	return out, err
}

// deleteRoomHistory removes a room's messages (inside DeleteRoom's
// transaction).
func deleteRoomHistory(tx *bolt.Tx, service, name string) error {
	top := tx.Bucket(bucketRoomHistory)
	if top == nil {
		return nil
	}
	svc := top.Bucket([]byte(service))
	if svc == nil || svc.Bucket([]byte(name)) == nil {
		return nil
	}
	return svc.DeleteBucket([]byte(name))
}

func roomHistoryBucket(tx *bolt.Tx, service, name string) *bolt.Bucket {
	top := tx.Bucket(bucketRoomHistory)
	if top == nil {
		return nil
	}
	svc := top.Bucket([]byte(service))
	if svc == nil {
		return nil
	}
	return svc.Bucket([]byte(name))
}
