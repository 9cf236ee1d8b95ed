package store

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrArchiveItemNotFound: a query named an ID (RSM after or before,
// after-id, before-id) that is not in the archive (XEP-0059 §2.5, XEP-0313
// §4.1.4: item-not-found).
var ErrArchiveItemNotFound = errors.New("no such message in the archive")

// ArchiveQuery selects messages of one archive: XEP-0313's filters, then
// XEP-0059's paging over what they select.
type ArchiveQuery struct {
	// With keeps the messages with one JID: a bare JID matches every
	// resource of it, a full JID only itself ("": everyone). Compared as
	// stored: bare part lower case.
	With string
	// Start and End keep the messages archived in [Start, End] (zero:
	// open).
	Start, End time.Time
	// AfterID and BeforeID keep the messages strictly between two IDs
	// (XEP-0313 #extended after-id, before-id; 0: open).
	AfterID, BeforeID uint64
	// IDs keeps only these messages (#extended ids; nil: any), each
	// looked up: a query costs its IDs, not the archive's size.
	IDs []uint64

	// After pages forward from an ID (RSM <after>), Before backward from
	// one (RSM <before>ID</before>); Last asks for the last page (an empty
	// RSM <before/>). Without them the page is the first.
	After, Before uint64
	Last          bool
	// Max is the page size; 0 asks only for the count.
	Max int
}

// ArchivePage is one page of a query, oldest first.
type ArchivePage struct {
	Entries []ArchiveEntry
	// Complete: the page reaches the end of the selection in the direction
	// of paging (the oldest message when paging backward).
	Complete bool
	// Count is the number of messages the filters select (all pages).
	Count int
	// Index is the position of the page's first message in the selection.
	Index int
}

// QueryArchive answers q over owner's archive in one read transaction.
// The selection is walked once (an archive is bounded by the writer's
// max), reading only the 'with' of each record when that filter is set.
func (db *DB) QueryArchive(owner string, q ArchiveQuery) (ArchivePage, error) {
	var page ArchivePage
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var ob *bolt.Bucket
		if top := tx.Bucket(bucketArchive); top != nil {
			ob = top.Bucket([]byte(owner))
		}
		for _, id := range []uint64{q.After, q.Before, q.AfterID, q.BeforeID} {
			if id != 0 && (ob == nil || ob.Get(u64(id)) == nil) {
				return fmt.Errorf("archive of %q, ID %d: %w", owner, id, ErrArchiveItemNotFound)
			}
		}
		if ob == nil {
			page.Complete = true
			return nil
		}
		ids, err := selectIDs(ob, q)
		if err != nil {
			return fmt.Errorf("archive of %q: %w", owner, err)
		}
		page.Count = len(ids)
		lo, hi := pageBounds(ids, q)
		page.Index = lo
		page.Complete = pageComplete(ids, q, lo, hi)
		for _, id := range ids[lo:hi] {
			h, stanza, err := decodeArchived(ob.Get(u64(id)), true)
			if err != nil {
				return fmt.Errorf("archive of %q, ID %d: damaged record: %w", owner, id, err)
			}
			page.Entries = append(page.Entries, ArchiveEntry{ID: id, With: h.With, Stanza: stanza})
		}
		return nil
	})
	if err != nil {
		return ArchivePage{}, err
	}
	return page, nil
}

// selectIDs returns, oldest first, the IDs of the messages q's filters
// keep.
func selectIDs(ob *bolt.Bucket, q ArchiveQuery) ([]uint64, error) {
	lo, hi := uint64(0), uint64(math.MaxUint64)
	if !q.Start.IsZero() {
		lo = ArchiveIDFromTime(q.Start)
	}
	if !q.End.IsZero() {
		// End is inclusive to the microsecond: everything archived within it.
		hi = ArchiveIDFromTime(q.End.Add(time.Microsecond)) - 1
	}
	if q.AfterID != 0 {
		lo = max(lo, q.AfterID+1)
	}
	if q.BeforeID != 0 {
		hi = min(hi, q.BeforeID-1)
	}
	if q.IDs != nil {
		return pickIDs(ob, q, lo, hi)
	}
	var ids []uint64
	c := ob.Cursor()
	for k, v := c.Seek(u64(lo)); k != nil; k, v = c.Next() {
		id, err := readU64(k)
		if err != nil {
			return nil, err
		}
		if id > hi {
			break
		}
		if ids, err = keepWith(ids, q.With, id, v); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// pickIDs is selectIDs for a query with an ids filter: each of them in
// [lo, hi] that is in the archive (and passes the with filter), oldest
// first, once.
func pickIDs(ob *bolt.Bucket, q ArchiveQuery, lo, hi uint64) ([]uint64, error) {
	want := slices.Clone(q.IDs)
	slices.Sort(want)
	var ids []uint64
	for i, id := range want {
		if id < lo || id > hi || (i > 0 && want[i-1] == id) {
			continue
		}
		v := ob.Get(u64(id))
		if v == nil {
			continue
		}
		var err error
		if ids, err = keepWith(ids, q.With, id, v); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// keepWith appends id to ids when its record v passes the with filter
// ("" keeps all).
func keepWith(ids []uint64, filter string, id uint64, v []byte) ([]uint64, error) {
	if filter == "" {
		return append(ids, id), nil
	}
	h, _, err := decodeArchived(v, false)
	if err != nil {
		return nil, fmt.Errorf("ID %d: damaged record: %w", id, err)
	}
	if WithMatches(filter, h.With) {
		ids = append(ids, id)
	}
	return ids, nil
}

// WithMatches reports whether a message with the JID with is kept by the
// filter (XEP-0313 §4.1.1: a bare JID matches its resources too).
func WithMatches(filter, with string) bool {
	if strings.Contains(filter, "/") {
		return filter == with
	}
	bare, _, _ := strings.Cut(with, "/")
	return bare == filter
}

// pageBounds returns the page [lo, hi) of ids that q's paging asks for.
func pageBounds(ids []uint64, q ArchiveQuery) (lo, hi int) {
	n := max(q.Max, 0)
	switch {
	case q.After != 0:
		lo, _ = slices.BinarySearch(ids, q.After+1)
		return lo, min(lo+n, len(ids))
	case q.Before != 0:
		hi, _ = slices.BinarySearch(ids, q.Before)
		return max(hi-n, 0), hi
	case q.Last:
		return max(len(ids)-n, 0), len(ids)
	default:
		return 0, min(n, len(ids))
	}
}

// pageComplete: paging backward, the page reaches the oldest selected
// message; otherwise the newest.
func pageComplete(ids []uint64, q ArchiveQuery, lo, hi int) bool {
	if q.Before != 0 || q.Last {
		return lo == 0
	}
	return hi == len(ids)
}
