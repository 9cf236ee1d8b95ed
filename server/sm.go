package server

import (
	"strconv"
	"sync"
	"time"

	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/negotiation"
	"jabberd/stream"
)

// smRequest is the server's <r/>: at most one is outstanding.
const smRequest = "<r xmlns='" + negotiation.NSSM + "'/>"

// smItem marks what a session with stream management queued: the stanza
// is kept in the session's unacknowledged list, not handed on by the
// queue when it is not written.
type smItem struct{}

// smSession is the server's end of XEP-0198 for one session, across the
// connections that resume it. It exists only once a client sent
// <enable/>: a session without stream management pays one pointer.
type smSession struct {
	srv *Server
	id  string // resumption id; "" when the session cannot be resumed
	jid string

	mu       sync.Mutex
	owner    *conn         // the connection writing to the client; nil while detached
	last     *conn         // the connection the router knows the session by
	detached chan struct{} // closed when owner lets go
	acked    uint32        // what the client acknowledged (h)
	unacked  []smStanza    // sent (or to be sent) and not acknowledged, in order
	asked    bool          // an <r/> is outstanding
	in       uint32        // stanzas received, saved when detached
	waiting  bool          // detached, may be resumed until timer fires
	dead     bool          // ended: deliveries are refused (the router stores them)
	timer    *time.Timer
}

type smStanza struct {
	el *etree.Element
	b  []byte
}

// smTable finds detached sessions by resumption id.
type smTable struct {
	mu sync.Mutex
	m  map[string]*smSession
}

func (t *smTable) put(s *smSession) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]*smSession{}
	}
	t.m[s.id] = s
	t.mu.Unlock()
}

func (t *smTable) get(id string) *smSession {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[id]
}

func (t *smTable) del(id string) {
	t.mu.Lock()
	delete(t.m, id)
	t.mu.Unlock()
}

// endAll ends every session waiting to be resumed (at shutdown).
func (t *smTable) endAll() {
	t.mu.Lock()
	all := make([]*smSession, 0, len(t.m))
	for _, s := range t.m {
		all = append(all, s)
	}
	t.mu.Unlock()
	for _, s := range all {
		s.expire()
	}
}

func (s *Server) smMaxUnacked() int {
	if n := s.cfg.Chat.SMMaxUnacked; n > 0 {
		return n
	}
	return 1000
}

// enableSM is the EnableSM action: from now on what is sent to the client
// is counted and kept until acknowledged.
func (c *conn) enableSM(a negotiation.Action) {
	s := &smSession{srv: c.srv, id: a.ID, jid: c.JID(), owner: c, last: c, detached: make(chan struct{})}
	s.mu.Lock()
	c.sm.Store(s)
	_ = c.core.Enqueue(a.Data, smItem{})
	s.mu.Unlock()
	if s.id != "" {
		c.srv.sm.put(s)
	}
	c.core.Log().Info().Bool("resumable", s.id != "").Msg("stream management enabled")
}

// deliver counts and keeps el, and writes it if a connection is attached.
func (s *smSession) deliver(el *etree.Element) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead {
		return errSessionEnded
	}
	st := smStanza{el: el, b: stream.Marshal(el)}
	s.unacked = append(s.unacked, st)
	if len(s.unacked) > s.srv.smMaxUnacked() {
		// The client does not acknowledge (or does not come back): the
		// session ends, and what it did not acknowledge is handed on.
		if s.owner != nil {
			s.owner.core.Log().Info().Int("unacked", len(s.unacked)).Msg("the client does not acknowledge what is sent; closing")
			s.owner.core.EndReason("too many unacknowledged stanzas")
			s.owner.final.Store(true)
			s.owner.core.Kill()
		} else if s.waiting {
			s.waiting = false
			go s.finish()
		}
	}
	if s.owner != nil {
		s.write(s.owner, st.b)
	}
	return nil
}

// write queues b on c, asking for an acknowledgement if none is
// outstanding. Call with s.mu held.
func (s *smSession) write(c *conn, b []byte) {
	if !s.asked {
		b = append(b[:len(b):len(b)], smRequest...)
		s.asked = true
	}
	_ = c.core.Enqueue(b, smItem{})
}

// ack is the client's <a h='…'/>; false when h acknowledges more than was
// sent.
func (s *smSession) ack(h uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.trim(h) {
		return false
	}
	s.asked = false
	if len(s.unacked) > 0 && s.owner != nil {
		_ = s.owner.core.Enqueue([]byte(smRequest), smItem{})
		s.asked = true
	}
	return true
}

// trim drops what h acknowledges. Call with s.mu held.
func (s *smSession) trim(h uint32) bool {
	n := int(h - s.acked) // modulo 2^32 (XEP-0198 §4)
	if n < 0 || n > len(s.unacked) {
		return false
	}
	clear(s.unacked[:n])
	s.unacked = s.unacked[n:]
	if len(s.unacked) == 0 {
		s.unacked = nil
	}
	s.acked = h
	return true
}

// detach is c letting go of the session as its connection ends: a
// resumable session that did not end on purpose waits to be resumed;
// any other ends now.
func (s *smSession) detach(c *conn) {
	s.mu.Lock()
	if s.owner != c {
		s.mu.Unlock()
		return
	}
	s.owner = nil
	_, s.in = c.m.SMEnabled()
	close(s.detached)
	if s.id != "" && !c.final.Load() && !s.dead {
		s.waiting = true
		s.timer = time.AfterFunc(c.srv.cfg.Chat.SMResumeTimeout.Duration, s.expire)
		n := len(s.unacked)
		s.mu.Unlock()
		c.core.Log().Info().Int("unacked", n).Msg("session detached; it may be resumed")
		return
	}
	s.mu.Unlock()
	s.finish()
}

func (s *smSession) expire() {
	s.mu.Lock()
	if !s.waiting {
		s.mu.Unlock()
		return
	}
	s.waiting = false
	s.mu.Unlock()
	s.finish()
}

// finish ends the session: it leaves the router, then what the client did
// not acknowledge goes to offline storage in order (or back to its sender
// as an error), before deliveries are refused and stored by the router.
func (s *smSession) finish() {
	s.mu.Lock()
	last := s.last
	s.mu.Unlock()
	s.srv.router.Unbind(last)
	s.mu.Lock()
	if s.dead {
		s.mu.Unlock()
		return
	}
	s.dead = true
	if s.timer != nil {
		s.timer.Stop()
	}
	var bounce []*etree.Element
	for _, st := range s.unacked {
		if chat.Stored(st.el) {
			s.srv.router.StoreUndeliverable(st.el)
		} else {
			bounce = append(bounce, st.el)
		}
	}
	s.unacked = nil
	s.mu.Unlock()
	last.csiEnded()
	if s.id != "" {
		s.srv.sm.del(s.id)
	}
	for _, el := range bounce {
		s.srv.router.BounceUndeliverable(el)
	}
}

// resume is the ResumeSM action: the session id of account bare moves to
// c, with what the client had not received written again.
func (c *conn) resume(a negotiation.Action) negotiation.Event {
	s := c.srv.sm.get(a.ID)
	if s == nil || bareOf(s.jid) != a.JID {
		return negotiation.ResumeEvent{}
	}
	s.mu.Lock()
	old, detached, last := s.owner, s.detached, s.last
	s.mu.Unlock()
	if old != nil {
		// The old connection has not noticed that its client is gone.
		old.core.Kill()
		select {
		case <-detached:
		case <-time.After(5 * time.Second):
			return negotiation.ResumeEvent{}
		}
	}
	// What the old stream held for an inactive client joins what is
	// unacknowledged, to be written below.
	last.csiResumed()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.waiting || s.dead || !s.trim(a.H) {
		return negotiation.ResumeEvent{}
	}
	if !c.srv.router.Resume(s.last, c) {
		return negotiation.ResumeEvent{}
	}
	s.waiting = false
	s.timer.Stop()
	s.owner, s.last, s.detached, s.asked = c, c, make(chan struct{}), false
	jid := s.jid
	c.jid.Store(&jid)
	c.sm.Store(s)
	c.core.With("jid", jid)
	_ = c.core.Enqueue([]byte("<resumed xmlns='"+negotiation.NSSM+"' h='"+strconv.FormatUint(uint64(s.in), 10)+"' previd='"+s.id+"'/>"), smItem{})
	for _, st := range s.unacked {
		s.write(c, st.b)
	}
	c.core.Log().Info().Int("resent", len(s.unacked)).Msg("session resumed")
	return negotiation.ResumeEvent{JID: jid, In: s.in}
}

func bareOf(jid string) string {
	for i := 0; i < len(jid); i++ {
		if jid[i] == '/' {
			return jid[:i]
		}
	}
	return jid
}
