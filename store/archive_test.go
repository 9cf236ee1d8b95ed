package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

const owner = "alice@example.com"

// base is an ID in 2026: a time in microseconds, like the writer's.
var base = ArchiveIDFromTime(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))

// fill archives n messages for owner, one second apart, alternately with
// bob (two resources) and carol.
func fill(t *testing.T, db *DB, n, max int) []uint64 {
	t.Helper()
	var ids []uint64
	var ws []ArchiveWrite
	for i := range n {
		id := base + uint64(i)*1e6
		with := "bob@example.com/phone"
		switch i % 3 {
		case 1:
			with = "carol@example.com/pc"
		case 2:
			with = "bob@example.com/laptop"
		}
		ws = append(ws, ArchiveWrite{Owner: owner, Entry: ArchiveEntry{ID: id, With: with, Stanza: fmt.Appendf(nil, "<message><body>%d</body></message>", i)}})
		ids = append(ids, id)
	}
	if err := db.AppendArchive(ws, max); err != nil {
		t.Fatal(err)
	}
	return ids
}

func pageIDs(p ArchivePage) []uint64 {
	var out []uint64
	for _, e := range p.Entries {
		out = append(out, e.ID)
	}
	return out
}

// TestArchivePaging: XEP-0059 paging over XEP-0313 filters — first page,
// after, before, the last page (<before/>), count-only (max 0), pages at
// both ends and past them, and IDs that are not in the archive.
func TestArchivePaging(t *testing.T) {
	db, _ := openT(t)
	ids := fill(t, db, 10, 0)
	cases := []struct {
		name     string
		q        ArchiveQuery
		want     []uint64
		complete bool
		count    int
		index    int
	}{
		{"first page", ArchiveQuery{Max: 3}, ids[:3], false, 10, 0},
		{"all in one page", ArchiveQuery{Max: 10}, ids, true, 10, 0},
		{"after", ArchiveQuery{Max: 3, After: ids[2]}, ids[3:6], false, 10, 3},
		{"after, last page", ArchiveQuery{Max: 3, After: ids[6]}, ids[7:], true, 10, 7},
		{"after the last", ArchiveQuery{Max: 3, After: ids[9]}, nil, true, 10, 10},
		{"before", ArchiveQuery{Max: 3, Before: ids[7]}, ids[4:7], false, 10, 4},
		{"before, reaching the first", ArchiveQuery{Max: 3, Before: ids[2]}, ids[:2], true, 10, 0},
		{"before the first", ArchiveQuery{Max: 3, Before: ids[0]}, nil, true, 10, 0},
		{"last page", ArchiveQuery{Max: 4, Last: true}, ids[6:], false, 10, 6},
		{"last page is all", ArchiveQuery{Max: 20, Last: true}, ids, true, 10, 0},
		{"count only", ArchiveQuery{Max: 0}, nil, false, 10, 0},
		{"with bare", ArchiveQuery{Max: 10, With: "bob@example.com"}, []uint64{ids[0], ids[2], ids[3], ids[5], ids[6], ids[8], ids[9]}, true, 7, 0},
		{"with full", ArchiveQuery{Max: 10, With: "bob@example.com/laptop"}, []uint64{ids[2], ids[5], ids[8]}, true, 3, 0},
		{"with, after", ArchiveQuery{Max: 2, With: "carol@example.com", After: ids[1]}, []uint64{ids[4], ids[7]}, true, 3, 1},
		{"with, before a message of someone else", ArchiveQuery{Max: 1, With: "carol@example.com", Before: ids[6]}, []uint64{ids[4]}, false, 3, 1},
		{"start", ArchiveQuery{Max: 10, Start: time.UnixMicro(int64(ids[8]))}, ids[8:], true, 2, 0},
		{"end inclusive", ArchiveQuery{Max: 10, End: time.UnixMicro(int64(ids[1]))}, ids[:2], true, 2, 0},
		{"start and end", ArchiveQuery{Max: 10, Start: time.UnixMicro(int64(ids[3]) - 1), End: time.UnixMicro(int64(ids[5]) + 1)}, ids[3:6], true, 3, 0},
		{"after-id, before-id", ArchiveQuery{Max: 10, AfterID: ids[2], BeforeID: ids[6]}, ids[3:6], true, 3, 0},
		{"before-id with RSM last page", ArchiveQuery{Max: 2, BeforeID: ids[6], Last: true}, ids[4:6], false, 6, 4},
		{"ids", ArchiveQuery{Max: 10, IDs: []uint64{ids[9], ids[1], 42}}, []uint64{ids[1], ids[9]}, true, 2, 0},
		{"ids twice, with, after-id, paged", ArchiveQuery{Max: 1, IDs: []uint64{ids[8], ids[2], ids[4], ids[2], ids[1], ids[0]}, With: "bob@example.com", AfterID: ids[0], After: ids[2]}, []uint64{ids[8]}, true, 2, 1},
		{"end before start", ArchiveQuery{Max: 10, Start: time.UnixMicro(int64(ids[5])), End: time.UnixMicro(int64(ids[1]))}, nil, true, 0, 0},
	}
	for _, c := range cases {
		p, err := db.QueryArchive(owner, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := pageIDs(p); !slices.Equal(got, c.want) || p.Complete != c.complete || p.Count != c.count || p.Index != c.index {
			t.Errorf("%s: page %v complete %v count %d index %d; want %v %v %d %d", c.name, got, p.Complete, p.Count, p.Index, c.want, c.complete, c.count, c.index)
		}
	}
	for _, q := range []ArchiveQuery{{Max: 1, After: 42}, {Max: 1, Before: ids[0] + 1}, {Max: 1, AfterID: 7}, {Max: 1, BeforeID: 9}} {
		if _, err := db.QueryArchive(owner, q); !errors.Is(err, ErrArchiveItemNotFound) {
			t.Errorf("query %+v with an ID not in the archive: %v, want ErrArchiveItemNotFound", q, err)
		}
	}
	if p, err := db.QueryArchive("nobody@example.com", ArchiveQuery{Max: 5}); err != nil || len(p.Entries) != 0 || !p.Complete {
		t.Errorf("an empty archive: %+v, %v", p, err)
	}
	p, _ := db.QueryArchive(owner, ArchiveQuery{Max: 1, After: ids[4]})
	if len(p.Entries) != 1 || string(p.Entries[0].Stanza) != "<message><body>5</body></message>" || p.Entries[0].With != "bob@example.com/laptop" ||
		!p.Entries[0].Stamp().Equal(time.Date(2026, 12, 7, 12, 0, 5, 0, time.UTC)) {
		t.Errorf("entry read back = %+v (stamp %v)", p.Entries, p.Entries[0].Stamp())
	}
}

// TestArchiveWindow: past max the oldest messages go (a rolling window),
// the count stays right, a rewrite of an ID is not counted twice, and a
// delete (a withdrawn message) takes one out.
func TestArchiveWindow(t *testing.T) {
	db, _ := openT(t)
	ids := fill(t, db, 10, 4)
	if n, _ := db.CountArchive(owner); n != 4 {
		t.Fatalf("count = %d, want 4", n)
	}
	p, _ := db.QueryArchive(owner, ArchiveQuery{Max: 100})
	if got := pageIDs(p); !slices.Equal(got, ids[6:]) {
		t.Fatalf("kept %v, want the newest %v", got, ids[6:])
	}
	if err := db.AppendArchive([]ArchiveWrite{{Owner: owner, Entry: ArchiveEntry{ID: ids[9], With: "x@example.com"}}}, 4); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountArchive(owner); n != 4 {
		t.Fatalf("count after a rewrite = %d, want 4", n)
	}
	if err := db.AppendArchive([]ArchiveWrite{{Owner: owner, Delete: true, Entry: ArchiveEntry{ID: ids[8]}}, {Owner: owner, Delete: true, Entry: ArchiveEntry{ID: 42}}}, 4); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountArchive(owner); n != 3 {
		t.Fatalf("count after deleting one (and one that is not there) = %d, want 3", n)
	}
	if p, _ := db.QueryArchive(owner, ArchiveQuery{Max: 100}); !slices.Equal(pageIDs(p), []uint64{ids[6], ids[7], ids[9]}) {
		t.Fatalf("after the delete: %v", pageIDs(p))
	}
	if last, _ := db.LastArchiveID(); last != ids[9] {
		t.Fatalf("LastArchiveID = %d, want %d", last, ids[9])
	}
}

// TestArchiveExpire: ExpireArchive drops what is older than its time, in
// every archive, and keeps the counts; DeleteArchive drops an archive and
// its preferences.
func TestArchiveExpire(t *testing.T) {
	db, _ := openT(t)
	ids := fill(t, db, 10, 0)
	other := ArchiveWrite{Owner: "room@muc.example.com", Entry: ArchiveEntry{ID: base + 500, With: "room@muc.example.com/nick"}}
	if err := db.AppendArchive([]ArchiveWrite{other}, 0); err != nil {
		t.Fatal(err)
	}
	gone, err := db.ExpireArchive(time.UnixMicro(int64(ids[3])))
	if err != nil || gone != 4 {
		t.Fatalf("ExpireArchive = %d, %v; want 4 (3 of alice's, the room's one)", gone, err)
	}
	p, _ := db.QueryArchive(owner, ArchiveQuery{Max: 100})
	if got := pageIDs(p); !slices.Equal(got, ids[3:]) {
		t.Fatalf("after expiry: %v, want %v", got, ids[3:])
	}
	if n, _ := db.CountArchive(owner); n != 7 {
		t.Fatalf("count after expiry = %d", n)
	}
	if err := db.SetArchivePrefs(owner, ArchivePrefs{Default: "roster", Never: []string{"bob@example.com"}}); err != nil {
		t.Fatal(err)
	}
	if p, ok, err := db.ArchivePrefs(owner); !ok || err != nil || p.Default != "roster" || !slices.Equal(p.Never, []string{"bob@example.com"}) {
		t.Fatalf("ArchivePrefs = %+v %v %v", p, ok, err)
	}
	if err := db.DeleteArchive(owner); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountArchive(owner); n != 0 {
		t.Fatalf("count after delete = %d", n)
	}
	if _, ok, _ := db.ArchivePrefs(owner); ok {
		t.Fatalf("preferences survived DeleteArchive")
	}
	if p, _ := db.QueryArchive(owner, ArchiveQuery{Max: 100}); len(p.Entries) != 0 {
		t.Fatalf("messages survived DeleteArchive: %v", pageIDs(p))
	}
}

// BenchmarkArchiveQueryIDs: an ids filter of 200 over an archive of
// 5000 (each ID looked up, not every message compared with every ID).
func BenchmarkArchiveQueryIDs(b *testing.B) {
	db, _ := openT(b)
	var ws []ArchiveWrite
	for i := range 5000 {
		ws = append(ws, ArchiveWrite{Owner: owner, Entry: ArchiveEntry{ID: base + uint64(i), With: "bob@example.com", Stanza: []byte("<message/>")}})
	}
	if err := db.AppendArchive(ws, 0); err != nil {
		b.Fatal(err)
	}
	var q ArchiveQuery
	q.Max = 50
	for i := range 200 {
		q.IDs = append(q.IDs, base+uint64(i*25))
	}
	for b.Loop() {
		if p, err := db.QueryArchive(owner, q); err != nil || p.Count != 200 {
			b.Fatal(p.Count, err)
		}
	}
}

// TestArchiveTrimsABatch: a batch as large as the writer's largest into
// an archive at its bound drops exactly as many of the oldest, over many
// leaves of the tree, and keeps the count.
func TestArchiveTrimsABatch(t *testing.T) {
	db, _ := openT(t)
	const max = 3000
	var ws []ArchiveWrite
	for i := range max + 4096 {
		ws = append(ws, ArchiveWrite{Owner: owner, Entry: ArchiveEntry{ID: base + uint64(i), With: "bob@example.com", Stanza: fmt.Appendf(nil, "<message><body>%d</body></message>", i)}})
	}
	if err := db.AppendArchive(ws[:max], max); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendArchive(ws[max:], max); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountArchive(owner); n != max {
		t.Fatalf("count = %d, want %d", n, max)
	}
	p, err := db.QueryArchive(owner, ArchiveQuery{Max: max + 1})
	if err != nil || len(p.Entries) != max {
		t.Fatalf("query: %d entries, %v", len(p.Entries), err)
	}
	for i, e := range p.Entries {
		if want := ws[4096+i]; e.ID != want.Entry.ID || string(e.Stanza) != string(want.Entry.Stanza) {
			t.Fatalf("entry %d: %d %q, want %d %q", i, e.ID, e.Stanza, want.Entry.ID, want.Entry.Stanza)
		}
	}
}

// TestArchiveRecord: a record's header is the JSON encoding/json writes,
// whether with is written as it is or escaped, and reads back.
func TestArchiveRecord(t *testing.T) {
	for _, with := range []string{"bob@example.com/phone", `bob@example.com/"quoted"`, `a\b@example.com`, "bob@example.com/<&>", "bob@example.com/tab\there", "bøb@example.com/☎", ""} {
		v, err := encodeArchived(ArchiveEntry{ID: 1, With: with, Stanza: []byte("<message/>")})
		if err != nil {
			t.Fatal(err)
		}
		h, _ := json.Marshal(archiveHeader{With: with})
		if want := string(h) + "\n<message/>"; string(v) != want {
			t.Errorf("record for %q: %q, want %q", with, v, want)
		}
		got, stanza, err := decodeArchived(v, true)
		if err != nil || got.With != with || string(stanza) != "<message/>" {
			t.Errorf("read back %q: %+v %q %v", with, got, stanza, err)
		}
	}
}

// BenchmarkArchiveAppendAtBound: the writer's steady state under load,
// a batch of 512 messages into an archive at its bound (as many dropped).
func BenchmarkArchiveAppendAtBound(b *testing.B) {
	db, _ := openT(b)
	const max = 10000
	next := base
	batch := func(n int) []ArchiveWrite {
		ws := make([]ArchiveWrite, n)
		for i := range ws {
			next++
			ws[i] = ArchiveWrite{Owner: owner, Entry: ArchiveEntry{ID: next, With: "bob@example.com/phone", Stanza: []byte("<message from='bob@example.com/phone' to='alice@example.com' type='chat' id='x'><body>hello there</body></message>")}}
		}
		return ws
	}
	if err := db.AppendArchive(batch(max), max); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := db.AppendArchive(batch(512), max); err != nil {
			b.Fatal(err)
		}
	}
}

// TestArchiveExpireInChunks: one expiry transaction deletes at most its
// budget and says where to go on (within an archive, or the next one);
// ExpireArchive goes on until every archive is done.
func TestArchiveExpireInChunks(t *testing.T) {
	db, _ := openT(t)
	owners := []string{"a@example.com", "b@example.com", "c@example.com"}
	var ws []ArchiveWrite
	for _, o := range owners {
		for i := range 10 {
			ws = append(ws, ArchiveWrite{Owner: o, Entry: ArchiveEntry{ID: base + uint64(i), With: "x@example.com"}})
		}
	}
	if err := db.AppendArchive(ws, 0); err != nil {
		t.Fatal(err)
	}
	limit := u64(base + 7) // 7 of each archive are older
	type step struct {
		gone int
		next string
	}
	var steps []step
	var from []byte
	for range 10 {
		n, next, err := db.expireChunk(limit, from, 5)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, step{n, string(next)})
		if next == nil {
			break
		}
		from = next
	}
	want := []step{{5, "a@example.com"}, {5, "b@example.com"}, {5, "c@example.com"}, {5, "c@example.com"}, {1, ""}}
	if !slices.Equal(steps, want) {
		t.Fatalf("chunks %v, want %v", steps, want)
	}
	for _, o := range owners {
		if n, _ := db.CountArchive(o); n != 3 {
			t.Errorf("%s: count %d, want 3", o, n)
		}
		if p, _ := db.QueryArchive(o, ArchiveQuery{Max: 100}); !slices.Equal(pageIDs(p), []uint64{base + 7, base + 8, base + 9}) {
			t.Errorf("%s keeps %v", o, pageIDs(p))
		}
	}
	if err := db.AppendArchive(ws, 0); err != nil {
		t.Fatal(err)
	}
	if gone, err := db.ExpireArchive(time.UnixMicro(int64(base + 7))); err != nil || gone != 21 {
		t.Fatalf("ExpireArchive = %d, %v; want 21", gone, err)
	}
}

// BenchmarkArchiveExpireBacklog: an expiry that finds 20 000 messages to
// delete in four archives.
func BenchmarkArchiveExpireBacklog(b *testing.B) {
	db, _ := openT(b)
	for b.Loop() {
		b.StopTimer()
		var ws []ArchiveWrite
		for i := range 20000 {
			ws = append(ws, ArchiveWrite{Owner: fmt.Sprintf("u%d@example.com", i%4), Entry: ArchiveEntry{ID: base + uint64(i), With: "bob@example.com", Stanza: []byte("<message><body>hello there</body></message>")}})
		}
		if err := db.AppendArchive(ws, 0); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if gone, err := db.ExpireArchive(time.UnixMicro(int64(base + 20000))); err != nil || gone != 20000 {
			b.Fatal(gone, err)
		}
	}
}
