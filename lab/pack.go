package lab

import (
	"bytes"
	"compress/flate"
	"io"
	"slices"
	"sync"
)

// A live session keeps its transcript for as long as it lasts, and most
// sessions spend that time idle: the bytes of a login (headers, features,
// the SASL exchange, the bind) sat uncompressed in every idle session's
// arena, about 4 KiB each, and its entries beside them (40 bytes a record,
// about 20 for a login). When the connection goes quiet (Quiet, called by
// the connection core after its idle grace) the records made since the
// last time, their entries and their data, are deflated into a chunk of
// their own and the arena and the entries let go. The chunks are never
// rewritten: a session that is busy now and then deflates only what is new
// each time, never its whole history. Reading a record in a chunk inflates
// that chunk (the status page, the lab's rules, which look back at the
// login); a walk over the records inflates each chunk once (walker).

// minPack is the least new data worth a chunk of its own. Chunks are
// deflated with a preset dictionary of XMPP's login vocabulary
// (packdict.go).
const minPack = 256

// packLevel is deflate's level for chunks: the lowest that reads a preset
// dictionary (compress/flate's BestSpeed ignores one). Every such level
// clears a 512 KiB hash table and hashes the dictionary at each reset:
// packing a login costs about 489 k instructions at 2, 576 k at 6, 347 k
// with BestSpeed and no dictionary, for a chunk of 384 bytes at 2 and 366
// at 6, both in the 384-byte size class (BENCHMARKS.md).
const packLevel = 2

// dict is packDict as bytes, for the deflaters and the inflaters.
var dict = []byte(packDict)

// chunk is deflated records: the entries rec, rec+1, … and their data, the
// logical arena bytes [start, end). z inflates to the data, then the
// entries (appendEntries).
type chunk struct {
	start, end int64
	rec        int // the index of its first entry among all the records
	z          []byte
}

var (
	deflaters = sync.Pool{New: func() any {
		w, _ := flate.NewWriterDict(nil, packLevel, dict) // packLevel is a valid level
		return w
	}}
	inflaters sync.Pool // flate readers, made on first use
)

// Quiet packs what was recorded since the last time (transport.Quieter):
// the connection is idle.
func (t *Transcript) Quiet() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.arena) < minPack {
		if cap(t.records)-len(t.records) > 4 {
			t.records = slices.Clone(t.records) // room for a login's worth is let go
		}
		return
	}
	var buf bytes.Buffer
	w := deflaters.Get().(*flate.Writer)
	w.Reset(&buf)
	_, _ = w.Write(t.arena) // a bytes.Buffer does not fail
	_, _ = w.Write(appendEntries(nil, t.base, t.records))
	_ = w.Close()
	deflaters.Put(w)
	end := t.base + int64(len(t.arena))
	t.chunks = append(t.chunks, chunk{start: t.base, end: end, rec: int(t.packedRecs), z: bytes.Clone(buf.Bytes())})
	t.packedRecs += int32(len(t.records))
	t.base, t.arena, t.records = end, nil, nil
}

// numRecords is how many records the transcript holds, packed or not.
func (t *Transcript) numRecords() int { return int(t.packedRecs) + len(t.records) }

// A walker reads records in one walk over them, back or forth: it keeps
// the chunk it inflated last, so each chunk is inflated once per walk
// however many of its records are read (a rule looking back over a long
// session's input would otherwise inflate a chunk per record). It lives as
// long as the walk, under the transcript's lock.
type walker struct {
	t    *Transcript
	at   chunk   // the chunk in
	in   []byte  // at's data, inflated; nil before the first
	ents []entry // at's entries
}

// entry returns record i (0-based), inflating its chunk if it was packed
// and is not the one read last.
func (w *walker) entry(i int) entry {
	t := w.t
	if p := int(t.packedRecs); i >= p {
		return t.records[i-p]
	}
	if w.in == nil || i < w.at.rec || i >= w.at.rec+len(w.ents) {
		k, _ := slices.BinarySearchFunc(t.chunks, i, func(c chunk, i int) int { return c.rec - i })
		if k == len(t.chunks) || t.chunks[k].rec > i {
			k-- // chunk k-1 starts before i: i is in it
		}
		w.load(t.chunks[k])
	}
	return w.ents[i-w.at.rec]
}

// data returns the bytes of e, inflating its chunk if it was packed and is
// not the one read last.
func (w *walker) data(e entry) []byte {
	t := w.t
	if e.start >= t.base {
		return t.arena[e.start-t.base : e.end-t.base]
	}
	if w.in == nil || e.start < w.at.start || e.end > w.at.end {
		w.load(t.chunks[t.chunkOf(e.start)])
	}
	return w.in[e.start-w.at.start : e.end-w.at.start]
}

// load inflates c into the walker.
func (w *walker) load(c chunk) {
	all := w.t.inflate(c)
	w.at, w.in = c, all[:c.end-c.start]
	ents, err := readEntries(all[c.end-c.start:], c.start)
	if err != nil {
		// Only this package encoded them, into memory: they cannot be corrupt.
		panic("lab: the entries of a packed transcript chunk do not decode: " + err.Error())
	}
	w.ents = ents
}

// chunkOf is the index of the chunk that holds the data at offset at.
func (t *Transcript) chunkOf(at int64) int {
	i, _ := slices.BinarySearchFunc(t.chunks, at, func(c chunk, at int64) int {
		switch {
		case c.end <= at:
			return -1
		case c.start > at:
			return 1
		}
		return 0
	})
	return i
}

// inflate returns the bytes deflated in c, and counts it.
func (t *Transcript) inflate(c chunk) []byte {
	t.inflated++
	src := bytes.NewReader(c.z)
	r, _ := inflaters.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReaderDict(src, dict)
	} else {
		_ = r.(flate.Resetter).Reset(src, dict)
	}
	out, err := io.ReadAll(r)
	inflaters.Put(r)
	if err != nil || int64(len(out)) < c.end-c.start {
		// Only this package deflated z, into memory: it cannot be corrupt.
		panic("lab: a packed transcript chunk does not inflate")
	}
	return out
}

// Packed is how many chunks the transcript's data was deflated into so far.
func (t *Transcript) Packed() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.chunks)
}
