package store

import (
	"errors"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// bucketPrivate holds each account's private XML storage (XEP-0049), one
// nested bucket per account:
//
//	private  NAME → {KEY → the element, serialized}
//
// KEY names the element ("{namespace}tag"). The bucket is created with the
// first element stored; an account that never stores one has no record.
var bucketPrivate = []byte("private")

// ErrPrivateFull is returned when a private storage set would take an
// account past its bound.
var ErrPrivateFull = errors.New("private XML storage is full")

// PrivateXML returns owner's element stored under key (nil: none).
func (db *DB) PrivateXML(owner, key string) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := nested(tx, bucketPrivate, owner); b != nil {
			if v := b.Get([]byte(key)); v != nil {
				out = append([]byte(nil), v...) // bbolt's memory is valid only in the transaction
			}
		}
		return nil
	})
	return out, err
}

// SetPrivateXML stores the elements of set under their keys in one
// transaction (an empty value removes the key). When the account's
// elements would then take more than maxBytes in all, nothing changes and
// the error is ErrPrivateFull.
func (db *DB) SetPrivateXML(owner string, set map[string][]byte, maxBytes int) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(bucketPrivate)
		if err != nil {
			return err
		}
		b, err := top.CreateBucketIfNotExists([]byte(owner))
		if err != nil {
			return err
		}
		total := 0
		if err := b.ForEach(func(k, v []byte) error {
			if _, replaced := set[string(k)]; !replaced {
				total += len(v)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, v := range set {
			total += len(v)
		}
		if total > maxBytes {
			return ErrPrivateFull
		}
		for k, v := range set {
			if len(v) == 0 {
				err = b.Delete([]byte(k))
			} else {
				err = b.Put([]byte(k), v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// nested returns the bucket of owner inside the top-level bucket top, or
// nil when either does not exist.
func nested(tx *bolt.Tx, top []byte, owner string) *bolt.Bucket {
	t := tx.Bucket(top)
	if t == nil {
		return nil
	}
	return t.Bucket([]byte(owner))
}

// deleteNested removes owner's bucket inside top in an account deletion.
func deleteNested(tx *bolt.Tx, top []byte, owner string) error {
	t := tx.Bucket(top)
	if t == nil {
		return nil
	}
	if err := t.DeleteBucket([]byte(owner)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
		return err
	}
	return nil
}
