package muc

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/beevik/etree"

	"jabberd/store"
	"jabberd/stream"
)

// Persistent rooms: what the store keeps of them (the record, and the
// recent messages a joiner gets), saved, loaded and removed.

// record is a persistent room in the store.
type record struct {
	Config       Config            `json:"config"`
	Subject      string            `json:"subject,omitempty"`
	SubjectBy    string            `json:"subject_by,omitempty"`
	Affiliations map[string]string `json:"affiliations"`
	Creator      string            `json:"creator,omitempty"`
	// Nicks are the registered nicknames: bare JID → nickname.
	Nicks map[string]string `json:"nicks,omitempty"`
}

// histRecord is one message of a persistent room's history in the store.
type histRecord struct {
	Stamp time.Time `json:"stamp"`
	Size  int       `json:"size"`
	// XML is the message as the room relays it (from the sender's
	// occupant JID, no to).
	XML string `json:"xml"`
}

// save writes a persistent room to the store (r.mu held).
func (r *Room) save() {
	st := r.s.opt.Store
	if st == nil || !r.cfg.Persistent {
		return
	}
	rec := record{Config: r.cfg, Subject: r.subject, SubjectBy: r.subjectBy, Affiliations: r.affil, Creator: r.creator, Nicks: r.nicks}
	b, err := json.Marshal(rec)
	if err == nil {
		err = st.SaveRoom(r.s.opt.Domain, r.name, b)
	}
	if err != nil {
		r.s.opt.Log.Error().Err(err).Str("room", r.jid).Msg("saving a room failed")
	}
}

// saveHistory queues h for a persistent room's stored history (r.mu
// held), so the order in the store is the order occupants saw.
func (r *Room) saveHistory(h histItem) {
	if r.s.hist == nil || !r.cfg.Persistent {
		return
	}
	b, err := encodeHistRecord(histRecord{Stamp: h.stamp.UTC(), Size: h.size, XML: string(stream.Marshal(h.el))})
	if err != nil {
		r.s.opt.Log.Error().Err(err).Str("room", r.jid).Msg("saving a room message failed")
		return
	}
	r.s.hist.put(store.RoomHistoryWrite{Service: r.s.opt.Domain, Name: r.name, Rec: b})
}

// encodeHistRecord is a history record's JSON without encoding/json's
// HTML escaping: the XML's every < and > would otherwise take six bytes
// (\u003c) in the store, and the room's lock is held while it is made.
// json.Unmarshal reads both forms.
func encodeHistRecord(h histRecord) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
}

// loadHistory reads a persistent room's history back at start-up, at most
// the service's bound (which may have shrunk since).
func (r *Room) loadHistory() {
	st := r.s.opt.Store
	if st == nil || r.s.opt.MaxHistory <= 0 {
		return
	}
	recs, err := st.RoomHistory(r.s.opt.Domain, r.name)
	if err != nil {
		r.s.opt.Log.Error().Err(err).Str("room", r.jid).Msg("reading a room's history failed; it starts empty")
		return
	}
	if n := len(recs) - r.s.opt.MaxHistory; n > 0 {
		recs = recs[n:]
	}
	for _, b := range recs {
		var h histRecord
		doc := etree.NewDocument()
		if json.Unmarshal(b, &h) != nil || doc.ReadFromString(h.XML) != nil || doc.Root() == nil || doc.Root().Tag != "message" {
			r.s.opt.Log.Error().Str("room", r.jid).Msg("a stored room message is unreadable; skipped")
			continue
		}
		r.history = append(r.history, histItem{el: doc.Root(), stamp: h.Stamp, size: h.Size})
	}
}

// unsave deletes a stored room (r.mu held): its record at once, and its
// history also after the messages still queued for it, which would
// otherwise bring it back.
func (r *Room) unsave() {
	if st := r.s.opt.Store; st != nil {
		if err := st.DeleteRoom(r.s.opt.Domain, r.name); err != nil {
			r.s.opt.Log.Error().Err(err).Str("room", r.jid).Msg("deleting a stored room failed")
		}
		r.s.hist.put(store.RoomHistoryWrite{Service: r.s.opt.Domain, Name: r.name, Drop: true})
	}
}
