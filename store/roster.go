package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Subscription is a roster item's subscription state (RFC 6121 §2.1.2.5).
type Subscription string

// The subscription states. Remove appears only in roster pushes and sets;
// an item is never stored with it.
const (
	SubNone   Subscription = "none"
	SubTo     Subscription = "to"
	SubFrom   Subscription = "from"
	SubBoth   Subscription = "both"
	SubRemove Subscription = "remove"
)

// RosterItem is one contact in an owner's roster (RFC 6121 §2).
type RosterItem struct {
	JID          string // bare JID of the contact
	Name         string
	Subscription Subscription
	Ask          bool // ask='subscribe' (outbound request pending)
	Groups       []string
	// PendingIn: the contact asked to subscribe to the owner's presence and
	// the owner has not answered (RFC 6121 §3.1.3: the server stores the
	// inbound request; it is redelivered at next login).
	PendingIn bool
	// PendingInStanza is the stored inbound <presence type='subscribe'/>
	// (serialized) to redeliver.
	PendingInStanza []byte
	// Hidden: the item only holds state, such as an inbound request from a
	// contact the owner never added, and is not part of the roster the owner
	// sees (RFC 6121 §3.1.3: no item is created before the owner approves).
	// Roster returns hidden items too; callers leave them out of results.
	Hidden bool
}

// rosterItemRecord is a roster item as stored; the JID is the key.
type rosterItemRecord struct {
	Name            string       `json:"name,omitempty"`
	Subscription    Subscription `json:"subscription"`
	Ask             bool         `json:"ask,omitempty"`
	Groups          []string     `json:"groups,omitempty"`
	PendingIn       bool         `json:"pending_in,omitempty"`
	PendingInStanza []byte       `json:"pending_in_stanza,omitempty"`
	Hidden          bool         `json:"hidden,omitempty"`
}

var (
	keyRosterVersion = []byte("version")
	bucketItems      = []byte("items")
)

// Roster returns owner's items, sorted by JID, and the roster version
// (XEP-0237): 0 for an owner whose roster never changed.
func (db *DB) Roster(owner string) (items []RosterItem, version uint64, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketRosters).Bucket([]byte(owner))
		if ob == nil {
			return nil
		}
		if version, err = readU64(ob.Get(keyRosterVersion)); err != nil {
			return fmt.Errorf("roster of %q: %w", owner, err)
		}
		ib := ob.Bucket(bucketItems)
		if ib == nil {
			return nil
		}
		return ib.ForEach(func(k, v []byte) error { // byte order: sorted by JID
			it, err := decodeRosterItem(owner, string(k), v)
			if err != nil {
				return err
			}
			items = append(items, it)
			return nil
		})
	})
	if err != nil {
		return nil, 0, err
	}
	return items, version, nil
}

// RosterItem returns one item of owner's roster, and whether it exists.
func (db *DB) RosterItem(owner, jid string) (RosterItem, bool, error) {
	var (
		it    RosterItem
		found bool
	)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		it, found, err = getRosterItem(tx, owner, jid)
		return err
	})
	return it, found, err
}

func getRosterItem(tx *bolt.Tx, owner, jid string) (RosterItem, bool, error) {
	ib := itemsBucket(tx, owner)
	if ib == nil {
		return RosterItem{}, false, nil
	}
	v := ib.Get([]byte(jid))
	if v == nil {
		return RosterItem{}, false, nil
	}
	it, err := decodeRosterItem(owner, jid, v)
	return it, err == nil, err
}

func itemsBucket(tx *bolt.Tx, owner string) *bolt.Bucket {
	ob := tx.Bucket(bucketRosters).Bucket([]byte(owner))
	if ob == nil {
		return nil
	}
	return ob.Bucket(bucketItems)
}

// UpdateRosterItem runs fn on owner's item for jid (the zero value and
// found=false if absent) inside one write transaction; fn returns the new
// item and whether to keep it (false deletes it). fn runs exactly once, while
// the transaction holds the database's write lock: it must be quick and must
// not call the DB (that would deadlock).
//
// The stored item is normalized: its JID is jid, an empty subscription is
// "none", groups are sorted without duplicates or empty names, and the
// inbound request stanza is dropped once PendingIn is false. Storing
// "remove" or an unknown subscription is an error. The roster version goes
// up by one only when the stored item changed. It returns the new item (as
// stored when kept), kept, and the roster version after the update.
//
// The store does not check that owner has an account: certificate logins
// may be auto-provisioned without one.
func (db *DB) UpdateRosterItem(owner, jid string, fn func(item RosterItem, found bool) (RosterItem, bool)) (RosterItem, bool, uint64, error) {
	if err := checkOwner(owner); err != nil {
		return RosterItem{}, false, 0, fmt.Errorf("update roster: %w", err)
	}
	if jid == "" {
		return RosterItem{}, false, 0, fmt.Errorf("update roster of %q: empty contact JID", owner)
	}
	var (
		item    RosterItem
		keep    bool
		version uint64
	)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		old, found, err := getRosterItem(tx, owner, jid)
		if err != nil {
			return err
		}
		var oldRec []byte
		if found {
			if oldRec, err = encodeRosterItem(old); err != nil {
				return err
			}
		}
		item, keep = fn(old, found)
		item.JID = jid
		var newRec []byte
		if keep {
			item = normalizeRosterItem(item)
			if err := checkSubscription(item.Subscription); err != nil {
				return fmt.Errorf("update roster of %q, item %s: %w", owner, jid, err)
			}
			if newRec, err = encodeRosterItem(item); err != nil {
				return err
			}
		}

		ob := tx.Bucket(bucketRosters).Bucket([]byte(owner))
		if ob != nil {
			if version, err = readU64(ob.Get(keyRosterVersion)); err != nil {
				return fmt.Errorf("roster of %q: %w", owner, err)
			}
		}
		changed := (keep && !bytes.Equal(oldRec, newRec)) || (!keep && found)
		if !changed {
			return nil
		}
		if ob, err = tx.Bucket(bucketRosters).CreateBucketIfNotExists([]byte(owner)); err != nil {
			return fmt.Errorf("roster of %q: %w", owner, err)
		}
		ib, err := ob.CreateBucketIfNotExists(bucketItems)
		if err != nil {
			return fmt.Errorf("roster of %q: %w", owner, err)
		}
		if keep {
			err = ib.Put([]byte(jid), newRec)
		} else {
			err = ib.Delete([]byte(jid))
		}
		if err != nil {
			return fmt.Errorf("roster of %q, item %s: %w", owner, jid, err)
		}
		// The version key stays when the roster empties, so that a version
		// once handed out is never handed out again for other contents.
		version++
		if err := ob.Put(keyRosterVersion, u64(version)); err != nil {
			return fmt.Errorf("roster of %q: %w", owner, err)
		}
		return nil
	})
	if err != nil {
		return RosterItem{}, false, 0, err
	}
	return item, keep, version, nil
}

func normalizeRosterItem(it RosterItem) RosterItem {
	if it.Subscription == "" {
		it.Subscription = SubNone
	}
	var groups []string
	for _, g := range it.Groups {
		if g != "" {
			groups = append(groups, g)
		}
	}
	slices.Sort(groups)
	it.Groups = slices.Compact(groups)
	if !it.PendingIn || len(it.PendingInStanza) == 0 {
		it.PendingInStanza = nil
	}
	return it
}

func checkSubscription(s Subscription) error {
	switch s {
	case SubNone, SubTo, SubFrom, SubBoth:
		return nil
	case SubRemove:
		return errors.New(`subscription "remove" is a removal, not a state to store: return keep=false instead`)
	}
	return fmt.Errorf("%q is not a subscription state (none, to, from, both)", s)
}

func encodeRosterItem(it RosterItem) ([]byte, error) {
	v, err := json.Marshal(rosterItemRecord{
		Name:            it.Name,
		Subscription:    it.Subscription,
		Ask:             it.Ask,
		Groups:          it.Groups,
		PendingIn:       it.PendingIn,
		PendingInStanza: it.PendingInStanza,
		Hidden:          it.Hidden,
	})
	if err != nil {
		return nil, fmt.Errorf("roster item %s: %w", it.JID, err)
	}
	return v, nil
}

func decodeRosterItem(owner, jid string, v []byte) (RosterItem, error) {
	var r rosterItemRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return RosterItem{}, fmt.Errorf("roster of %q, item %s: damaged record: %w", owner, jid, err)
	}
	return RosterItem{
		JID:             jid,
		Name:            r.Name,
		Subscription:    r.Subscription,
		Ask:             r.Ask,
		Groups:          r.Groups,
		PendingIn:       r.PendingIn,
		PendingInStanza: r.PendingInStanza,
		Hidden:          r.Hidden,
	}, nil
}

// ForgetContact removes jid (a bare JID) from every roster, bumping each
// changed roster's version: when an account is deleted, nobody's
// subscription may pass to whoever takes the name next.
func (db *DB) ForgetContact(jid string) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRosters).ForEachBucket(func(owner []byte) error {
			ob := tx.Bucket(bucketRosters).Bucket(owner)
			ib := ob.Bucket(bucketItems)
			if ib == nil || ib.Get([]byte(jid)) == nil {
				return nil
			}
			if err := ib.Delete([]byte(jid)); err != nil {
				return fmt.Errorf("roster of %q: %w", owner, err)
			}
			version, err := readU64(ob.Get(keyRosterVersion))
			if err != nil {
				return fmt.Errorf("roster of %q: %w", owner, err)
			}
			return ob.Put(keyRosterVersion, u64(version+1))
		})
	})
}
