package stream

import (
	"errors"
	"io"
	"os"
	"sync"
)

// errTooLarge is returned by source when an element runs past its byte budget.
// It stops encoding/xml from buffering an unbounded token.
var errTooLarge = errors.New("element exceeds the size limit")

// source is the byte-at-a-time reader handed to encoding/xml. Because it is
// an io.ByteReader the decoder reads through it directly, without a bufio
// layer of its own, so source knows exactly which bytes the tokenizer has
// consumed and which are still only buffered: the latter are what a STARTTLS
// upgrade must hand to TLS instead of to the parser.
//
// An idle connection spends its life blocked in a read, holding the buffer
// it reads into: with thousands of sessions that buffer is a large part of
// what each costs. So source reads into a small buffer of its own, and takes
// a full-size one from a pool only after a read filled the small one (more
// is probably waiting: a large stanza, a burst), giving it back once it has
// been consumed. Typical stanzas (a message, a presence) fit the small
// buffer; a session idles with no pooled buffer at all.
type source struct {
	r        io.Reader
	buf      []byte // small[:] or a pooled buffer of size bytes
	pos, end int    // buf[pos:end] is read from r but not yet consumed
	consumed int64  // bytes handed to the decoder so far
	limit    int64  // consumed may not pass this; <0 means no limit
	err      error  // sticky read error from r
	size     int    // the full-size buffer's size
	pool     *sync.Pool
	small    [smallBufSize]byte
}

// smallBufSize holds a typical stanza (a chat message of a few lines, a
// presence, an IQ) in one read.
const smallBufSize = 512

var pools sync.Map // buffer size → *sync.Pool of *[]byte

func newSource(r io.Reader, size int) *source {
	s := &source{r: r, limit: -1, size: size}
	s.buf = s.small[:]
	if size > smallBufSize {
		s.pool = poolFor(size)
	} else {
		s.buf = s.small[:size]
	}
	return s
}

// refillBuffer picks the buffer for the next read, which starts over at 0
// (see ReadByte): the full-size one only while reads keep filling what they
// are given.
func (s *source) refillBuffer() {
	if s.pool == nil {
		return
	}
	full := s.end == len(s.buf) && s.end > 0
	if pooled := len(s.buf) != smallBufSize; pooled && !full {
		b := s.buf
		s.pool.Put(&b)
		s.buf = s.small[:]
	} else if !pooled && full {
		s.buf = *s.pool.Get().(*[]byte)
	}
}

func (s *source) ReadByte() (byte, error) {
	if s.limit >= 0 && s.consumed >= s.limit {
		return 0, errTooLarge
	}
	if s.pos == s.end {
		if s.err != nil {
			return 0, s.err
		}
		// The decoder may ungetc the last byte it read; that byte is always
		// buf[pos-1] because a refill happens only here, before a byte is
		// returned, so starting over at 0 loses nothing still needed.
		s.refillBuffer()
		s.pos, s.end = 0, 0
		for s.end == 0 {
			n, err := s.r.Read(s.buf)
			s.end = n
			if err != nil {
				s.err = err
				if n == 0 {
					return 0, err
				}
			}
		}
	}
	c := s.buf[s.pos]
	s.pos++
	s.consumed++
	return c, nil
}

// poolFor returns the pool of buffers of size bytes, made the first time:
// looked up before it is made, as a source starts with every stream.
func poolFor(size int) *sync.Pool {
	if p, ok := pools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := pools.LoadOrStore(size, &sync.Pool{New: func() any { b := make([]byte, size); return &b }})
	return p.(*sync.Pool)
}

// release gives a pooled buffer back (Reader.Release): the source is
// done with.
func (s *source) release() {
	if s.pool != nil && len(s.buf) != smallBufSize {
		b := s.buf
		s.pool.Put(&b)
	}
	s.buf = nil
}

// rest returns a copy of the bytes received but not part of any token up to
// offset: the last `consumed-offset` consumed bytes (at most one, a byte the
// decoder read ahead) followed by everything still buffered.
func (s *source) rest(offset int64) []byte {
	back := int(s.consumed - offset)
	if back < 0 || back > s.pos {
		back = 0
	}
	return append([]byte(nil), s.buf[s.pos-back:s.end]...)
}

// Read exists so that source is an io.Reader for xml.NewDecoder; the decoder
// itself uses ReadByte.
func (s *source) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c, err := s.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = c
	return 1, nil
}

// fill reads once into an empty buffer; a full buffer is left as it is.
// Unlike ReadByte it keeps no error that may pass: a read that ran into
// its deadline (a probe of what TLS already holds) can be tried again.
func (s *source) fill() error {
	if s.pos < s.end || s.err != nil {
		return s.err
	}
	s.refillBuffer()
	s.pos, s.end = 0, 0
	n, err := s.r.Read(s.buf)
	s.end = n
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		s.err = err
	}
	if n > 0 {
		return nil
	}
	return err
}
