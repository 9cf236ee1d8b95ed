package lab

import (
	"encoding/binary"
	"errors"
)

// How a chunk keeps its entries: each as varints of its differences from
// the one before (the first from an entry whose data ends where the
// chunk's data starts), then a byte of the direction, phase and
// redaction. A login's entries are about 12 bytes each this way, before
// deflate, against 40 in memory.

// appendEntries appends the encoding of ents, whose data starts at start.
func appendEntries(b []byte, start int64, ents []entry) []byte {
	prev := entry{end: start}
	for _, e := range ents {
		b = binary.AppendVarint(b, e.at-prev.at)
		b = binary.AppendVarint(b, e.offset)
		b = binary.AppendVarint(b, e.start-prev.end)
		b = binary.AppendVarint(b, e.end-e.start)
		b = binary.AppendVarint(b, int64(e.n))
		flags := e.dir | e.phase<<2
		if e.redacted {
			flags |= 1 << 4
		}
		b = append(b, flags)
		prev = e
	}
	return b
}

var errEntries = errors.New("truncated entries")

// readEntries decodes what appendEntries encoded for data starting at start.
func readEntries(b []byte, start int64) ([]entry, error) {
	var out []entry
	prev := entry{end: start}
	for len(b) > 0 {
		var v [5]int64
		for i := range v {
			x, n := binary.Varint(b)
			if n <= 0 {
				return nil, errEntries
			}
			v[i], b = x, b[n:]
		}
		if len(b) == 0 {
			return nil, errEntries
		}
		flags := b[0]
		b = b[1:]
		e := entry{at: prev.at + v[0], offset: v[1], start: prev.end + v[2], n: int32(v[4]),
			dir: flags & 3, phase: flags >> 2 & 3, redacted: flags&(1<<4) != 0}
		e.end = e.start + v[3]
		out = append(out, e)
		prev = e
	}
	return out, nil
}
