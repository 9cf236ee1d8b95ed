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

// RoomHistoryWrite is one message for a room's stored history, or, with
// Drop, the deletion of that history (a room deleted or made temporary).
type RoomHistoryWrite struct {
	Service, Name string
	Rec           []byte
	Drop          bool
}

// AppendRoomHistory adds rec as the newest message of a room of service and
// drops the oldest past keep.
func (db *DB) AppendRoomHistory(service, name string, rec []byte, keep int) error {
	return db.AppendRoomHistories([]RoomHistoryWrite{{Service: service, Name: name, Rec: rec}}, keep)
}

// AppendRoomHistories applies a batch of writes in order, in one
// transaction, and then keeps each room's newest keep messages.
func (db *DB) AppendRoomHistories(writes []RoomHistoryWrite, keep int) error {
	if len(writes) == 0 {
		return nil
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(bucketRoomHistory)
		if err != nil {
			return err
		}
		rooms := map[[2]string]*bolt.Bucket{}
		for _, w := range writes {
			key := [2]string{w.Service, w.Name}
			if w.Drop {
				delete(rooms, key)
				if err := deleteRoomHistory(tx, w.Service, w.Name); err != nil {
					return fmt.Errorf("room history %s@%s: %w", w.Name, w.Service, err)
				}
				continue
			}
			b := rooms[key]
			if b == nil {
				if b, err = roomHistoryBucketFor(top, w.Service, w.Name); err != nil {
					return err
				}
				rooms[key] = b
			}
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := b.Put(u64(seq), w.Rec); err != nil {
				return fmt.Errorf("room history %s@%s: %w", w.Name, w.Service, err)
			}
		}
		for key, b := range rooms {
			if err := trimRoomHistory(b, keep); err != nil {
				return fmt.Errorf("room history %s@%s: %w", key[1], key[0], err)
			}
		}
		return nil
	})
}

// roomHistoryBucketFor is a room's history bucket, made if need be.
func roomHistoryBucketFor(top *bolt.Bucket, service, name string) (*bolt.Bucket, error) {
	svc, err := top.CreateBucketIfNotExists([]byte(service))
	if err != nil {
		return nil, err
	}
	return svc.CreateBucketIfNotExists([]byte(name))
}

// trimRoomHistory drops a room's oldest messages past keep: the keys are
// consecutive (NextSequence), so the count is last-first+1.
func trimRoomHistory(b *bolt.Bucket, keep int) error {
	seq := b.Sequence()
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
