package irc

import (
	"bytes"
	"errors"
	"io"
)

// ErrLineTooLong: a line longer than the reader buffers was dropped, up to
// and including its end.
var ErrLineTooLong = errors.New("line too long")

// lineReader splits a byte stream into lines ending in LF (a CR before it
// is dropped). It knows exactly where the last line it returned ended:
// Rest is what it read past it, which after STARTTLS is the start of the
// client's handshake and must go to TLS, never to the parser.
type lineReader struct {
	r          io.Reader
	buf        []byte // buf[start:end] is read and not yet returned
	start, end int
	max        int  // longest line, line ending included
	discarding bool // inside a line over max: dropped up to its LF
	// consumed counts the bytes of every line returned or dropped, line
	// endings included: where the next line starts in the stream.
	consumed int64
}

// initialReadBuffer is small on purpose: an idle connection holds it. It
// grows up to the longest line when a long one comes.
const initialReadBuffer = 1024

func newLineReader(r io.Reader, maxLine int) *lineReader {
	return &lineReader{r: r, buf: make([]byte, min(initialReadBuffer, maxLine)), max: maxLine}
}

// ReadLine returns the next line without its ending; the slice is valid
// until the next call. A line over the limit is dropped and reported once
// with ErrLineTooLong when its end arrives. A read error is returned with
// what was buffered kept, so a later call may go on.
func (lr *lineReader) ReadLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(lr.buf[lr.start:lr.end], '\n'); i >= 0 {
			line := lr.buf[lr.start : lr.start+i]
			lr.start += i + 1
			lr.consumed += int64(i + 1)
			if lr.discarding {
				lr.discarding = false
				return nil, ErrLineTooLong
			}
			return bytes.TrimSuffix(line, []byte{'\r'}), nil
		}
		if lr.discarding || lr.end-lr.start >= lr.max {
			lr.consumed += int64(lr.end - lr.start)
			lr.start, lr.end, lr.discarding = 0, 0, true
		}
		lr.compact()
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if n == 0 && err != nil {
			return nil, err
		}
	}
}

// compact moves the unread bytes to the front and grows the buffer (up to
// max) when it is full.
func (lr *lineReader) compact() {
	if lr.start > 0 {
		lr.end = copy(lr.buf, lr.buf[lr.start:lr.end])
		lr.start = 0
	}
	if lr.end == len(lr.buf) && len(lr.buf) < lr.max {
		grown := make([]byte, min(2*len(lr.buf), lr.max))
		copy(grown, lr.buf[:lr.end])
		lr.buf = grown
	}
}

// Consumed returns how many bytes the lines returned so far (and the ones
// dropped) took on the wire, line endings included.
func (lr *lineReader) Consumed() int64 { return lr.consumed }

// Rest returns a copy of what was read past the last line returned.
func (lr *lineReader) Rest() []byte {
	if lr.discarding {
		return nil
	}
	return bytes.Clone(lr.buf[lr.start:lr.end])
}

// Peek returns the next byte without consuming it, reading if need be.
func (lr *lineReader) Peek() (byte, error) {
	b, err := lr.PeekN(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// PeekN returns the next n bytes (n at most the longest line) without
// consuming them, reading until they are there; the slice is valid until
// the next call.
func (lr *lineReader) PeekN(n int) ([]byte, error) {
	n = min(n, lr.max)
	for lr.end-lr.start < n {
		lr.compact()
		if lr.end == len(lr.buf) {
			break
		}
		m, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += m
		if m == 0 && err != nil {
			return nil, err
		}
	}
	return lr.buf[lr.start:min(lr.start+n, lr.end)], nil
}

// ReadRaw consumes and returns the next n bytes, which are not lines (a
// TLS record sent where lines belong); fewer, with the error, when the
// stream ends or fails first.
func (lr *lineReader) ReadRaw(n int) ([]byte, error) {
	out := make([]byte, n)
	got := copy(out, lr.buf[lr.start:lr.end])
	lr.start += got
	var err error
	for got < n && err == nil {
		var m int
		m, err = lr.r.Read(out[got:])
		got += m
	}
	lr.consumed += int64(got)
	return out[:got], err
}
