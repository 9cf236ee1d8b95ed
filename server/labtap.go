package server

import "io"

// inTap keeps what the tokenizer reads from the client until the event
// those bytes belong to is recorded: the transcript then holds the
// client's exact bytes (declaration, whitespace, its own quoting), and
// nothing has to be written back out of the parsed tree. Only events that
// carry a secret are written back, redacted.
type inTap struct {
	r     io.Reader
	buf   []byte // read, not yet taken: buf[start:]
	start int
	off   bool // the transcript is full: nothing more is kept
}

func (t *inTap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 && !t.off {
		t.buf = append(t.buf, p[:n]...)
	}
	return n, err
}

// take returns the next n bytes read; they are valid until the next Read.
func (t *inTap) take(n int) []byte {
	n = min(n, len(t.buf)-t.start)
	b := t.buf[t.start : t.start+n]
	t.start += n
	if t.start == len(t.buf) {
		// All taken: the next read starts over at the front, and a
		// buffer that a burst grew is not kept by an idle session.
		if cap(t.buf) > 1024 {
			t.buf = nil
		} else {
			t.buf = t.buf[:0]
		}
		t.start = 0
	}
	return b
}

// stop keeps nothing more.
func (t *inTap) stop() {
	t.off, t.buf, t.start = true, nil, 0
}
