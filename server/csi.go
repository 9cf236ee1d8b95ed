package server

import (
	"sync"

	"github.com/beevik/etree"
)

// nsChatStates is XEP-0085: a message that carries only a chat state is
// held like presence while the client is inactive.
const nsChatStates = "http://jabber.org/protocol/chatstates"

// csiState is XEP-0352 for one session; it exists only once the client
// said <inactive/>. While inactive, presence updates and chat-state-only
// messages are held (the latest per sender replaces the one before), at
// most chat.csi_max_held; anything else first releases what is held, in
// order, and so does <active/> or the bound.
type csiState struct {
	mu       sync.Mutex
	inactive bool
	held     []*etree.Element
}

// setCSI is the CSI action.
func (c *conn) setCSI(inactive bool) {
	st := c.csi.Load()
	if st == nil {
		if !inactive {
			return
		}
		st = &csiState{}
		c.csi.Store(st)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.inactive = inactive
	if !inactive {
		c.release(st)
	}
}

// csiResumed: this connection's session is being resumed on another
// (XEP-0198). A resumed stream starts active (XEP-0352 §5.2), and what
// this one held must not be lost: it is released into the session, whose
// stream management keeps it after what is unacknowledged (everything
// held is newer than that: a stanza that is not held releases the held
// first), and the resumed stream writes it after those, in order. From
// now on this connection holds nothing: a delivery that still reaches it
// goes to the session the same way.
func (c *conn) csiResumed() { c.setCSI(false) }

// csiEnded: the session ends for good. What is held — presence updates
// and messages that carry only a chat state — is dropped: presence is
// never stored, and a standalone chat state is meaningless later (a
// message with a body or anything else is never held: it releases the
// held and is delivered, or stored, like any other). It returns how many
// were dropped.
func (c *conn) csiEnded() int {
	st := c.csi.Load()
	if st == nil {
		return 0
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	n := len(st.held)
	st.held, st.inactive = nil, false
	if n > 0 {
		c.core.Log().Info().Int("held", n).Msg("the session ended while inactive; its held presence updates and chat states are dropped")
	}
	return n
}

// release delivers what st holds. Call with st.mu held.
func (c *conn) release(st *csiState) {
	held := st.held
	st.held = nil
	for _, el := range held {
		_ = c.deliverNow(el)
	}
}

// holdable: presence that is not a subscription request or answer, and
// messages with nothing but a chat state.
func holdable(el *etree.Element) bool {
	switch el.Tag {
	case "presence":
		switch el.SelectAttrValue("type", "") {
		case "", "unavailable":
			return true
		}
	case "message":
		kids := el.ChildElements()
		if len(kids) == 0 || el.SelectAttrValue("type", "") == "error" {
			return false
		}
		for _, k := range kids {
			if k.NamespaceURI() != nsChatStates {
				return false
			}
		}
		return true
	}
	return false
}

// csiDeliver holds el if the client is inactive and el can wait; it
// reports whether it took el.
func (c *conn) csiDeliver(st *csiState, el *etree.Element) (bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.inactive {
		return false, nil
	}
	if !holdable(el) {
		c.release(st)
		return false, nil
	}
	from := el.SelectAttrValue("from", "")
	for i, h := range st.held {
		if h.Tag == el.Tag && h.SelectAttrValue("from", "") == from {
			st.held = append(st.held[:i], st.held[i+1:]...)
			break
		}
	}
	st.held = append(st.held, el)
	if len(st.held) > c.srv.cfg.Chat.CSIMaxHeld {
		c.release(st)
	}
	return true, nil
}
