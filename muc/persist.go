package muc

import "encoding/json"

// Persistent rooms: what the store keeps of them, saved and removed.

// record is a persistent room in the store.
type record struct {
	Config       Config            `json:"config"`
	Subject      string            `json:"subject,omitempty"`
	SubjectBy    string            `json:"subject_by,omitempty"`
	Affiliations map[string]string `json:"affiliations"`
	Creator      string            `json:"creator,omitempty"`
}

// save writes a persistent room to the store (r.mu held).
func (r *Room) save() {
	st := r.s.opt.Store
	if st == nil || !r.cfg.Persistent {
		return
	}
	rec := record{Config: r.cfg, Subject: r.subject, SubjectBy: r.subjectBy, Affiliations: r.affil, Creator: r.creator}
	b, err := json.Marshal(rec)
	if err == nil {
		err = st.SaveRoom(r.s.opt.Domain, r.name, b)
	}
	if err != nil {
		r.s.opt.Log.Error().Err(err).Str("room", r.jid).Msg("saving a room failed")
	}
}

func (r *Room) unsave() {
	if st := r.s.opt.Store; st != nil {
		if err := st.DeleteRoom(r.s.opt.Domain, r.name); err != nil {
			r.s.opt.Log.Error().Err(err).Str("room", r.jid).Msg("deleting a stored room failed")
		}
	}
}
