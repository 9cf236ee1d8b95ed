package lab

import (
	"bytes"
	"slices"
	"sync"
)

// A transcript starts with room for a whole login (the arena for its
// bytes, the records), so that recording one is two allocations rather
// than a series of growths. That room, 5.6 KB, was made anew for every
// connection, and an ended transcript kept all of it among the recent ones
// though a login fills about half. Now the room goes back to these pools
// when the transcript ends (settle: it keeps exact copies of what it
// holds) or its connection goes quiet (Quiet: the data is deflated), and
// the next connection takes it.

const (
	arenaRoom   = 4096 // bytes; a login records about 2.3 KB
	recordsRoom = 32   // a login records about 20
)

var (
	arenas  = sync.Pool{New: func() any { b := make([]byte, 0, arenaRoom); return &b }}
	records = sync.Pool{New: func() any { r := make([]entry, 0, recordsRoom); return &r }}
)

func getArena() []byte { return (*arenas.Get().(*[]byte))[:0] }

func getRecords() []entry { return (*records.Get().(*[]entry))[:0] }

// putArena gives a back, if it is the room a transcript started with (one
// that grew past it is left to the collector). Its bytes are overwritten
// before they are read again.
func putArena(a []byte) {
	if cap(a) == arenaRoom {
		arenas.Put(&a)
	}
}

// putRecords is putArena for records.
func putRecords(r []entry) {
	if cap(r) == recordsRoom {
		records.Put(&r)
	}
}

// settle trims an ended transcript to what it holds and gives its room
// back. Under t.mu; nothing reads the arena or the records without it.
func (t *Transcript) settle() {
	if a := t.arena; cap(a) > len(a) {
		t.arena = bytes.Clone(a)
		putArena(a)
	}
	if r := t.records; cap(r) > len(r) {
		t.records = slices.Clone(r)
		putRecords(r)
	}
}
