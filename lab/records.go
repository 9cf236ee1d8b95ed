package lab

import "time"

// How a transcript keeps its records in memory: one arena for the data,
// pointer-free entries for the rest.

// entry is a Record as kept: a live session holds its transcript for as
// long as it lasts, so the form in memory is about half a Record's size
// (no sequence number, small codes for the direction and the phase).
type entry struct {
	at         int64 // Unix nanoseconds
	offset     int64
	start, end int64 // the data's offsets in the transcript's data (see Transcript.data)
	n          int32
	dir        uint8 // index in dirNames
	phase      uint8 // index in phaseNames
	redacted   bool
}

var (
	dirNames   = [...]string{DirIn, DirOut, DirEvent}
	phaseNames = [...]string{PhasePlaintext, PhaseTLS, PhaseAuthenticated}
)

// The codes of dirNames.
const (
	dirIn uint8 = iota
	dirOut
	dirEvent
)

func code(names []string, s string) uint8 {
	for i, n := range names {
		if n == s {
			return uint8(i)
		}
	}
	return 0
}

// add appends a record under t.mu; past the size bound only events are
// kept, and the summary says the transcript is truncated.
func (t *Transcript) add(r Record) {
	if r.Dir != DirEvent && t.maxBytes > 0 && t.size+len(r.Data) > t.maxBytes {
		t.markTruncated()
		return
	}
	if r.Dir != DirEvent {
		t.size += len(r.Data) // events are few and always kept
	}
	t.push(r)
}

// push appends r as an entry, in the current phase unless r names one.
func (t *Transcript) push(r Record) {
	phase := t.phase
	if r.Phase != "" {
		phase = r.Phase
	}
	start := t.base + int64(len(t.arena))
	t.arena = append(t.arena, r.Data...)
	t.records = append(t.records, entry{
		at: time.Now().UnixNano(), offset: r.Offset, start: start, end: t.base + int64(len(t.arena)), n: int32(r.Len),
		dir: code(dirNames[:], r.Dir), phase: code(phaseNames[:], phase), redacted: r.Redacted,
	})
}

// pushBytes appends data as an entry of direction dir, in the current phase.
func (t *Transcript) pushBytes(dir uint8, offset int64, n int, data []byte, redacted bool) {
	start := t.base + int64(len(t.arena))
	t.arena = append(t.arena, data...)
	t.records = append(t.records, entry{
		at: time.Now().UnixNano(), offset: offset, start: start, end: t.base + int64(len(t.arena)), n: int32(n),
		dir: dir, phase: code(phaseNames[:], t.phase), redacted: redacted,
	})
}

// markTruncated notes, once, that data is no longer kept.
func (t *Transcript) markTruncated() {
	if !t.sum.Truncated {
		t.sum.Truncated = true
		t.push(Record{Dir: DirEvent, Data: "transcript truncated: later data is not kept"})
	}
}
