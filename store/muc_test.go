package store

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestRoomsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if rooms, err := db.Rooms("conference.localhost"); err != nil || len(rooms) != 0 {
		t.Fatalf("fresh: %v %v", rooms, err)
	}
	if err := db.SaveRoom("conference.localhost", "team", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveRoom("conference.localhost", "gone", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteRoom("conference.localhost", "gone"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteRoom("other.localhost", "never"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rooms, err := db.Rooms("conference.localhost")
	if err != nil || len(rooms) != 1 || string(rooms["team"]) != `{"a":1}` {
		t.Fatalf("after reopen: %v %v", rooms, err)
	}
	if rooms, _ := db.Rooms("other.localhost"); len(rooms) != 0 {
		t.Errorf("another service's rooms: %v", rooms)
	}
}

// TestRoomHistoryBoundedAndReopened: a room's history keeps the newest
// keep messages in order, survives closing the file, and goes with the
// room.
func TestRoomHistoryBoundedAndReopened(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"1", "2", "3", "4", "5"} {
		if err := db.AppendRoomHistory("conference.localhost", "team", []byte(m), 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AppendRoomHistory("conference.localhost", "other", []byte("x"), 3); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.RoomHistory("conference.localhost", "team")
	if err != nil || len(got) != 3 || string(got[0]) != "3" || string(got[2]) != "5" {
		t.Fatalf("after reopening: %q %v", got, err)
	}
	// A smaller bound later trims at the next message.
	if err := db.AppendRoomHistory("conference.localhost", "team", []byte("6"), 2); err != nil {
		t.Fatal(err)
	}
	if got, _ = db.RoomHistory("conference.localhost", "team"); len(got) != 2 || string(got[0]) != "5" || string(got[1]) != "6" {
		t.Fatalf("bound 2: %q", got)
	}
	if err := db.DeleteRoom("conference.localhost", "team"); err != nil {
		t.Fatal(err)
	}
	if got, _ = db.RoomHistory("conference.localhost", "team"); len(got) != 0 {
		t.Fatalf("after DeleteRoom: %q", got)
	}
	if got, _ = db.RoomHistory("conference.localhost", "other"); len(got) != 1 {
		t.Fatalf("another room's history: %q", got)
	}
}

// TestRoomHistoriesBatch: one batch of several rooms' messages and a
// deletion among them applies them in order: the deletion removes what
// came before it, not what comes after, and every room keeps its newest
// keep.
func TestRoomHistoriesBatch(t *testing.T) {
	db, _ := openT(t)
	w := func(name, rec string) RoomHistoryWrite {
		return RoomHistoryWrite{Service: "conference.localhost", Name: name, Rec: []byte(rec)}
	}
	batch := []RoomHistoryWrite{
		w("team", "1"), w("other", "a"), w("team", "2"),
		{Service: "conference.localhost", Name: "team", Drop: true},
		w("team", "3"), w("other", "b"), w("team", "4"), w("other", "c"), w("other", "d"),
	}
	if err := db.AppendRoomHistories(batch, 3); err != nil {
		t.Fatal(err)
	}
	for room, want := range map[string]string{"team": "3,4", "other": "b,c,d"} {
		got, err := db.RoomHistory("conference.localhost", room)
		var s []string
		for _, g := range got {
			s = append(s, string(g))
		}
		if err != nil || strings.Join(s, ",") != want {
			t.Errorf("%s: %q %v, want %s", room, s, err, want)
		}
	}
}
