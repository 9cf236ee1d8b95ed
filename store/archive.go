package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The message archive (XEP-0313) is keyed by an owner JID — an account's
// bare JID, or a room's JID for a multi-user chat archive — so that one API
// serves both:
//
//	archive        OWNER/ ID → archived message record (a JSON header line, then the stanza)
//	archive_counts OWNER → number of messages in OWNER's archive (8 bytes)
//	archive_prefs  OWNER → archiving preferences record (JSON)
//
// An ID is a number of microseconds since 1970 (UTC) made unique by the
// writer (package mam hands out strictly increasing IDs, starting past
// LastArchiveID): one ID is the message's XEP-0359 stanza-id, the key that
// orders an archive, and its time (the XEP-0203 stamp of a result). A time
// filter is therefore a key range. The count is kept beside the archive
// so that the rolling window (AppendArchive's max) costs no walk.
var (
	bucketArchive       = []byte("archive")
	bucketArchiveCounts = []byte("archive_counts")
	bucketArchivePrefs  = []byte("archive_prefs")
)

// ArchiveEntry is one archived message.
type ArchiveEntry struct {
	// ID is the archive ID (microseconds since 1970, unique per archive).
	ID uint64
	// With is the other party: the sender of an incoming message, the
	// recipient of an outgoing one (a full or bare JID, as addressed).
	With string
	// Stanza is the message as it was routed, serialized.
	Stanza []byte
}

// Stamp is when the message was archived (the time in its ID).
func (e ArchiveEntry) Stamp() time.Time { return time.UnixMicro(int64(e.ID)).UTC() }

// ArchiveWrite is one message for one owner's archive, or, with Delete,
// its removal (by ID).
type ArchiveWrite struct {
	Owner  string
	Delete bool
	Entry  ArchiveEntry
}

// archiveHeader is what an archived message's record says about it. A
// record is the header as one line of JSON, a newline, then the stanza's
// bytes as they were routed: readable in a bbolt viewer, and neither
// escaped on the way in nor decoded to filter by with (only the header is).
type archiveHeader struct {
	With string `json:"with"`
}

// encodeArchived makes the record of a message. A with of plain
// characters (every JID the router hands out is one) is written as it is;
// any other goes through encoding/json.
func encodeArchived(e ArchiveEntry) ([]byte, error) {
	const head, tail = `{"with":"`, "\"}\n"
	if !plainJSON(e.With) {
		h, err := json.Marshal(archiveHeader{With: e.With})
		if err != nil {
			return nil, err
		}
		v := make([]byte, 0, len(h)+1+len(e.Stanza))
		return append(append(append(v, h...), '\n'), e.Stanza...), nil
	}
	v := make([]byte, 0, len(head)+len(e.With)+len(tail)+len(e.Stanza))
	return append(append(append(append(v, head...), e.With...), tail...), e.Stanza...), nil
}

// plainJSON reports whether s needs no escaping in a JSON string:
// printable ASCII but for the quote, the backslash and the characters
// encoding/json escapes for HTML (<, >, &).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// decodeArchived reads a record's header and stanza (a copy: bbolt's
// memory is valid only in its transaction).
func decodeArchived(v []byte, withStanza bool) (archiveHeader, []byte, error) {
	var h archiveHeader
	line, stanza, ok := bytes.Cut(v, []byte{'\n'})
	if !ok {
		return h, nil, errors.New("no header line")
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return h, nil, err
	}
	if !withStanza {
		return h, nil, nil
	}
	return h, bytes.Clone(stanza), nil
}

// ArchiveIDFromTime is the smallest ID at or after t.
func ArchiveIDFromTime(t time.Time) uint64 {
	us := t.UnixMicro()
	if us < 0 {
		return 0
	}
	return uint64(us)
}

// AppendArchive stores a batch of messages (and deletions, in order) in
// one transaction. When an owner's archive holds more than max messages
// (max > 0) its oldest are dropped: the archive is a rolling window, as in
// Prosody and ejabberd, so a busy account never has its new messages
// refused. A write whose ID is already in its owner's archive replaces it.
// Each owner's bucket is looked up and its count read and written once per
// batch.
func (db *DB) AppendArchive(writes []ArchiveWrite, max int) error {
	if len(writes) == 0 {
		return nil
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(bucketArchive)
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		counts, err := tx.CreateBucketIfNotExists(bucketArchiveCounts)
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		owners := map[string]*ownerBatch{}
		for _, w := range writes {
			o, err := batchOf(owners, top, counts, w.Owner)
			if err != nil {
				return err
			}
			if err := o.apply(w); err != nil {
				return err
			}
		}
		for name, o := range owners {
			if max > 0 {
				if err := o.trim(max); err != nil {
					return err
				}
			}
			if err := counts.Put([]byte(name), u64(o.n)); err != nil {
				return fmt.Errorf("archive count of %q: %w", name, err)
			}
		}
		return nil
	})
}

// ownerBatch is one owner's archive during a batch: its bucket and count,
// and its highest ID (0: empty), so that a new message, which has the
// highest ID yet (package mam hands them out in order), costs no lookup
// to learn that it replaces nothing.
type ownerBatch struct {
	name string
	b    *bolt.Bucket
	n    uint64
	last uint64
}

func batchOf(owners map[string]*ownerBatch, top, counts *bolt.Bucket, name string) (*ownerBatch, error) {
	if o := owners[name]; o != nil {
		return o, nil
	}
	if err := checkOwner(name); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	b, err := top.CreateBucketIfNotExists([]byte(name))
	if err != nil {
		return nil, fmt.Errorf("archive for %q: %w", name, err)
	}
	n, err := readU64(counts.Get([]byte(name)))
	if err != nil {
		return nil, fmt.Errorf("archive count of %q: %w", name, err)
	}
	o := &ownerBatch{name: name, b: b, n: n}
	if k, _ := b.Cursor().Last(); k != nil {
		if o.last, err = readU64(k); err != nil {
			return nil, fmt.Errorf("archive of %q: %w", name, err)
		}
	}
	owners[name] = o
	return o, nil
}

// apply stores or deletes one message.
func (o *ownerBatch) apply(w ArchiveWrite) error {
	key := u64(w.Entry.ID)
	there := w.Entry.ID <= o.last && o.b.Get(key) != nil
	if w.Delete {
		if !there {
			return nil
		}
		if err := o.b.Delete(key); err != nil {
			return fmt.Errorf("archive of %q: %w", o.name, err)
		}
		o.n -= min(o.n, 1)
		return nil
	}
	v, err := encodeArchived(w.Entry)
	if err != nil {
		return fmt.Errorf("archive for %q: %w", o.name, err)
	}
	if err := o.b.Put(key, v); err != nil {
		return fmt.Errorf("archive for %q: %w", o.name, err)
	}
	if !there {
		o.n++
	}
	o.last = max(o.last, w.Entry.ID)
	return nil
}

// trim drops the owner's oldest messages past max.
func (o *ownerBatch) trim(max int) error {
	if o.n <= uint64(max) {
		return nil
	}
	gone, err := dropFirst(o.b, int(o.n-uint64(max)), nil)
	o.n -= uint64(gone)
	if err != nil {
		return fmt.Errorf("archive of %q: %w", o.name, err)
	}
	return nil
}

// dropFirst deletes the first n keys of b, or fewer: those below limit
// when it is set. The keys are collected first, then deleted one by one:
// deleting under a cursor skips keys, and a First after each deletion
// walks every leaf emptied so far (the tree is rebalanced only at the
// commit), which made trimming a batch quadratic in its size.
func dropFirst(b *bolt.Bucket, n int, limit []byte) (int, error) {
	var flat []byte // the keys' bytes, one after another (ends[i] is where key i ends)
	var ends []int
	c := b.Cursor()
	for k, _ := c.First(); k != nil && len(ends) < n && (limit == nil || bytes.Compare(k, limit) < 0); k, _ = c.Next() {
		flat = append(flat, k...)
		ends = append(ends, len(flat))
	}
	start := 0
	for i, end := range ends {
		if err := b.Delete(flat[start:end]); err != nil {
			return i, err
		}
		start = end
	}
	return len(ends), nil
}

// ExpireChunk is how many messages ExpireArchive deletes in one
// transaction: bbolt has one writer at a time, and the archive's writer
// (and offline storage) waits for it, so an expiry with a backlog (a
// retention shortened, a server started after a long stop) commits in
// chunks rather than holding the lock for its whole length.
const ExpireChunk = 2048

// ExpireArchive deletes every archived message older than before, in
// every archive, and returns how many went. Keys are times, so each
// archive is cut from its first key. It commits every ExpireChunk
// messages; what a crash interrupts is picked up by the next expiry.
func (db *DB) ExpireArchive(before time.Time) (int, error) {
	limit := u64(ArchiveIDFromTime(before))
	gone := 0
	var from []byte // the owner to go on with
	for {
		n, next, err := db.expireChunk(limit, from, ExpireChunk)
		gone += n
		if err != nil || next == nil {
			return gone, err
		}
		from = next
	}
}

// expireChunk is one transaction of ExpireArchive: it deletes up to
// budget messages below limit, going through the archives in owner order
// from from (nil: the first), and returns the owner to go on with (nil:
// the last archive is done).
func (db *DB) expireChunk(limit, from []byte, budget int) (gone int, next []byte, err error) {
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		gone, next = 0, nil
		top, counts := tx.Bucket(bucketArchive), tx.Bucket(bucketArchiveCounts)
		if top == nil || counts == nil {
			return nil
		}
		c := top.Cursor()
		for owner, v := c.Seek(from); owner != nil; owner, v = c.Next() {
			if v != nil {
				continue // not an archive
			}
			if gone == budget {
				next = bytes.Clone(owner)
				return nil
			}
			n, err := dropFirst(top.Bucket(owner), budget-gone, limit)
			if err != nil {
				return fmt.Errorf("expire archive of %q: %w", owner, err)
			}
			if n == 0 {
				continue
			}
			gone += n
			have, err := readU64(counts.Get(owner))
			if err != nil {
				return fmt.Errorf("archive count of %q: %w", owner, err)
			}
			if err := counts.Put(owner, u64(have-min(have, uint64(n)))); err != nil {
				return err
			}
			if gone == budget {
				next = bytes.Clone(owner) // it may have more
				return nil
			}
		}
		return nil
	})
	return gone, next, err
}

// DeleteArchive drops owner's archive and preferences (the account or the
// room is gone).
func (db *DB) DeleteArchive(owner string) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if top := tx.Bucket(bucketArchive); top != nil {
			if err := top.DeleteBucket([]byte(owner)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return fmt.Errorf("delete archive of %q: %w", owner, err)
			}
		}
		for _, name := range [][]byte{bucketArchiveCounts, bucketArchivePrefs} {
			if b := tx.Bucket(name); b != nil {
				if err := b.Delete([]byte(owner)); err != nil {
					return fmt.Errorf("delete archive of %q: %w", owner, err)
				}
			}
		}
		return nil
	})
}

// CountArchive returns how many messages owner's archive holds.
func (db *DB) CountArchive(owner string) (int, error) {
	var n uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		if counts := tx.Bucket(bucketArchiveCounts); counts != nil {
			n, err = readU64(counts.Get([]byte(owner)))
		}
		return err
	})
	return int(n), err
}

// LastArchiveID returns the highest ID in any archive (0: none), so that
// the IDs handed out after a restart stay above every stored one even if
// the clock went back.
func (db *DB) LastArchiveID() (uint64, error) {
	var last uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		top := tx.Bucket(bucketArchive)
		if top == nil {
			return nil
		}
		return top.ForEachBucket(func(owner []byte) error {
			if k, _ := top.Bucket(owner).Cursor().Last(); k != nil {
				id, err := readU64(k)
				if err != nil {
					return fmt.Errorf("archive of %q: %w", owner, err)
				}
				last = max(last, id)
			}
			return nil
		})
	})
	return last, err
}
