package server

import (
	"io"
	"time"
)

// activity is the reader's input for a session: it makes limits.idle_timeout
// the silence allowed, not the time allowed for one stanza. A client that
// sends a stanza in slow pieces is not silent, but the decoder waits for a
// whole event under the deadline the read loop armed: without this such a
// session was cut at idle_timeout (TestSlowStanzaKeepsSessionAlive). Once a
// read has brought bytes, the next read of a bound session waits
// idle_timeout from now. The negotiation's deadline stays absolute. The
// read loop clears the mark at each event, so that AwaitInput's shorter
// grace is not overridden. Whitespace keepalives between stanzas never
// reach the decoder: the session's first read takes them
// (stream.ErrKeepalive) and its loop waits again from now.
type activity struct {
	r    io.Reader
	c    *conn
	data bool // a read brought bytes since the loop last armed the deadline
}

func (a *activity) Read(p []byte) (int, error) {
	if a.data && a.c.bound() {
		a.data = false
		if err := a.c.core.Arm(time.Now().Add(a.c.srv.cfg.Limits.IdleTimeout.Duration)); err != nil {
			return 0, err // the server ends the connection
		}
	}
	n, err := a.r.Read(p)
	if n > 0 {
		a.data = true
	}
	return n, err
}
