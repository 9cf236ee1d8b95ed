package store

import (
	"path/filepath"
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
