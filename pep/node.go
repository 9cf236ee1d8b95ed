package pep

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/beevik/etree"

	"jabberd/stanza"
	"jabberd/store"
)

// node is a node as stored: its configuration and its items, oldest
// first.
type node struct {
	Config Config `json:"config"`
	Items  []Item `json:"items"`
}

// Item is a published item: its id and its payload, serialized.
type Item struct {
	ID      string `json:"id"`
	Payload string `json:"payload"`
}

func decodeNode(b []byte) (*node, error) {
	if b == nil {
		return nil, nil
	}
	var n node
	if err := json.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("a stored PEP node is damaged: %w", err)
	}
	return &n, nil
}

func (n *node) encode() ([]byte, error) { return json.Marshal(n) }

// put adds it as the newest item, replacing an item with its id, and
// drops the oldest past what the configuration keeps.
func (n *node) put(it Item, bound int) {
	n.remove(it.ID)
	n.Items = append(n.Items, it)
	n.trim(bound)
}

// trim drops the oldest items past what the configuration keeps.
func (n *node) trim(bound int) {
	if keep := n.Config.effectiveMax(bound); len(n.Items) > keep {
		n.Items = append([]Item(nil), n.Items[len(n.Items)-keep:]...)
	}
}

// remove drops the item with id; false if there was none.
func (n *node) remove(id string) bool {
	for i, it := range n.Items {
		if it.ID == id {
			n.Items = append(n.Items[:i], n.Items[i+1:]...)
			return true
		}
	}
	return false
}

// last returns the newest item, or nil.
func (n *node) last() *Item {
	if n == nil || len(n.Items) == 0 {
		return nil
	}
	return &n.Items[len(n.Items)-1]
}

// element is the <item/> with its payload.
func (it Item) element() *etree.Element {
	el := etree.NewElement("item")
	el.CreateAttr("id", it.ID)
	if p := payloadOf(&it); p != nil {
		el.AddChild(p)
	}
	return el
}

// newID is an item id for a publish that names none.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// update changes owner's node in one transaction: fn gets the node (nil
// when there is none) and returns it changed, nil to remove it, or the
// error that leaves it as it was. A change past the account's byte bound
// is resource-constraint.
func (s *Service) update(owner, name string, fn func(n *node) (*node, error)) error {
	lim := store.PEPLimits{MaxNodes: s.opt.MaxNodes, MaxBytes: s.opt.MaxBytes}
	err := s.opt.Store.UpdatePEPNode(owner, name, lim, func(cur []byte) ([]byte, error) {
		n, err := decodeNode(cur)
		if err != nil {
			return nil, err
		}
		if n, err = fn(n); err != nil || n == nil {
			return nil, err
		}
		return n.encode()
	})
	if errors.Is(err, store.ErrPEPFull) {
		return stanza.ErrResourceConstraint.WithText("an account's nodes hold at most " +
			strconv.Itoa(s.opt.MaxBytes) + " bytes in all (pep.max_bytes_per_account)")
	}
	return err
}
