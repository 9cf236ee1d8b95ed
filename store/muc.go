package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketRooms holds the persistent multi-user chat rooms:
//
//	muc_rooms  SERVICE/ NAME → room record (package muc's JSON)
var bucketRooms = []byte("muc_rooms")

// SaveRoom writes the record of a persistent room of service.
func (db *DB) SaveRoom(service, name string, rec []byte) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(bucketRooms)
		if err != nil {
			return err
		}
		b, err := top.CreateBucketIfNotExists([]byte(service))
		if err != nil {
			return err
		}
		if err := b.Put([]byte(name), rec); err != nil {
			return fmt.Errorf("save room %s@%s: %w", name, service, err)
		}
		return nil
	})
}

// DeleteRoom removes a room of service and its history; a room not stored
// is no error.
func (db *DB) DeleteRoom(service, name string) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if err := deleteRoomHistory(tx, service, name); err != nil {
			return err
		}
		top := tx.Bucket(bucketRooms)
		if top == nil {
			return nil
		}
		b := top.Bucket([]byte(service))
		if b == nil {
			return nil
		}
		return b.Delete([]byte(name))
	})
}

// Rooms returns every stored room of service: name → record.
func (db *DB) Rooms(service string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		top := tx.Bucket(bucketRooms)
		if top == nil {
			return nil
		}
		b := top.Bucket([]byte(service))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			out[string(k)] = append([]byte(nil), v...)
			return nil
		})
	})
	return out, err
}
