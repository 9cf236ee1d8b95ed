package store

import (
	bolt "go.etcd.io/bbolt"
)

// bucketVCards holds each account's vcard-temp vCard (XEP-0054), and
// bucketVCardPhotos the SHA-1 of its photo (XEP-0153), kept apart so that
// the hash a presence carries is read without the vCard:
//
//	vcards       NAME → the <vCard xmlns='vcard-temp'> element, serialized
//	vcardphotos  NAME → the photo's SHA-1, lower-case hex (no record: no photo)
//
// The buckets are created with the first vCard; an account that never set
// one has no record.
var (
	bucketVCards      = []byte("vcards")
	bucketVCardPhotos = []byte("vcardphotos")
)

// VCard returns owner's stored vCard (nil: none).
func (db *DB) VCard(owner string) ([]byte, error) {
	return db.vcardValue(bucketVCards, owner)
}

// VCardPhoto returns the SHA-1 of owner's vCard photo ("": none).
func (db *DB) VCardPhoto(owner string) (string, error) {
	v, err := db.vcardValue(bucketVCardPhotos, owner)
	return string(v), err
}

func (db *DB) vcardValue(bucket []byte, owner string) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			if v := b.Get([]byte(owner)); v != nil {
				out = append([]byte(nil), v...) // bbolt's memory is valid only in the transaction
			}
		}
		return nil
	})
	return out, err
}

// SetVCard replaces owner's vCard and its photo hash in one transaction;
// an empty vcard removes both, an empty photo the hash.
func (db *DB) SetVCard(owner string, vcard []byte, photo string) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, kv := range []struct {
			bucket []byte
			v      []byte
		}{{bucketVCards, vcard}, {bucketVCardPhotos, []byte(photo)}} {
			b, err := tx.CreateBucketIfNotExists(kv.bucket)
			if err != nil {
				return err
			}
			if len(kv.v) == 0 || len(vcard) == 0 {
				err = b.Delete([]byte(owner))
			} else {
				err = b.Put([]byte(owner), kv.v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// deleteVCard removes owner's vCard inside an account deletion.
func deleteVCard(tx *bolt.Tx, owner string) error {
	for _, name := range [][]byte{bucketVCards, bucketVCardPhotos} {
		if b := tx.Bucket(name); b != nil {
			if err := b.Delete([]byte(owner)); err != nil {
				return err
			}
		}
	}
	return nil
}
