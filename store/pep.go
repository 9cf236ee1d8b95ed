package store

import (
	"errors"

	bolt "go.etcd.io/bbolt"
)

// bucketPEP holds each account's PEP nodes (XEP-0163), one nested bucket
// per account:
//
//	pep  NAME → {NODE → the node: its configuration and items, encoded by package pep}
//
// The bucket is created with the first node; an account that never
// publishes has no record.
var bucketPEP = []byte("pep")

// ErrTooManyNodes is returned when a new node would take an account past
// its bound.
var ErrTooManyNodes = errors.New("too many PEP nodes")

// ErrPEPFull is returned when a change would take an account's nodes,
// in all and as stored, past its byte bound.
var ErrPEPFull = errors.New("PEP storage is full")

// PEPLimits bound one account's PEP nodes.
type PEPLimits struct {
	// MaxNodes bounds the nodes (ErrTooManyNodes past it).
	MaxNodes int
	// MaxBytes bounds the nodes' stored size in all (ErrPEPFull past it);
	// a change that does not grow a node always goes through, so that an
	// account over a lowered bound can still retract and delete.
	MaxBytes int
}

// PEPNode returns owner's node (nil: none).
func (db *DB) PEPNode(owner, node string) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := nested(tx, bucketPEP, owner); b != nil {
			if v := b.Get([]byte(node)); v != nil {
				out = append([]byte(nil), v...)
			}
		}
		return nil
	})
	return out, err
}

// PEPNodeNames returns the names of owner's nodes, sorted.
func (db *DB) PEPNodeNames(owner string) ([]string, error) {
	var out []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := nested(tx, bucketPEP, owner); b != nil {
			return b.ForEach(func(k, _ []byte) error {
				out = append(out, string(k))
				return nil
			})
		}
		return nil
	})
	return out, err
}

// UpdatePEPNode replaces owner's node with what fn returns from the
// current one (nil: none), atomically; nil from fn removes the node, and
// fn's error aborts the change. A node that does not exist yet is created
// only while owner has fewer than lim.MaxNodes (ErrTooManyNodes
// otherwise); a node grows only while owner's nodes stay within
// lim.MaxBytes (ErrPEPFull otherwise).
func (db *DB) UpdatePEPNode(owner, node string, lim PEPLimits, fn func(cur []byte) ([]byte, error)) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(bucketPEP)
		if err != nil {
			return err
		}
		b, err := top.CreateBucketIfNotExists([]byte(owner))
		if err != nil {
			return err
		}
		cur := b.Get([]byte(node))
		next, err := fn(cur)
		if err != nil {
			return err
		}
		if next == nil {
			return b.Delete([]byte(node))
		}
		if cur == nil && countKeys(b) >= lim.MaxNodes {
			return ErrTooManyNodes
		}
		if len(next) > len(cur) && storedBytes(b)-len(cur)+len(next) > lim.MaxBytes {
			return ErrPEPFull
		}
		return b.Put([]byte(node), next)
	})
}

// storedBytes is the size of b's values in all.
func storedBytes(b *bolt.Bucket) int {
	n := 0
	_ = b.ForEach(func(_, v []byte) error {
		n += len(v)
		return nil
	})
	return n
}
