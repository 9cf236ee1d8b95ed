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
