package muc

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"jabberd/store"
)

// say sends n groupchat messages from alice, with bodies from..from+n-1.
func say(t *testing.T, s *Service, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		send(t, s, alice, fmt.Sprintf(`<message to='%s' type='groupchat'><body>%d</body></message>`, room, i))
	}
}

// storedBodies are the bodies of a room's stored history, oldest first.
func storedBodies(t *testing.T, st Store) []string {
	t.Helper()
	recs, err := st.RoomHistory("conference.localhost", "team")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range recs {
		var h histRecord
		if err := json.Unmarshal(b, &h); err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(h.XML, "<body>")
		body, _, _ := strings.Cut(rest, "</body>")
		out = append(out, body)
	}
	return out
}

func seq(from, to int) string {
	var b []string
	for i := from; i < to; i++ {
		b = append(b, strconv.Itoa(i))
	}
	return strings.Join(b, ",")
}

// TestHistoryDropIsOrdered: a room made temporary while its messages wait
// for the disk does not get them back in the store: the deletion of its
// history is queued after them. What is said after it was made persistent
// again is stored from then on.
func TestHistoryDropIsOrdered(t *testing.T) {
	st := &memStore{gate: make(chan struct{})}
	s, _ := newService(t, Options{MaxHistory: 50, Store: st})
	join(t, s, alice, "Alice")
	makePersistent(t, s, alice)
	say(t, s, 0, 5)
	send(t, s, alice, submit(map[string]string{"muc#roomconfig_persistentroom": "0"}))
	close(st.gate)
	s.Flush()
	if got := storedBodies(t, st); len(got) != 0 {
		t.Fatalf("a room made temporary has a stored history: %v", got)
	}
	makePersistent(t, s, alice) // the five are in memory: stored again
	say(t, s, 5, 2)
	s.Flush()
	if got := strings.Join(storedBodies(t, st), ","); got != seq(0, 7) {
		t.Fatalf("stored %s, want %s", got, seq(0, 7))
	}
}

// TestHistoryInTheStore: with the real store, a clean shutdown (Close)
// leaves every message of a persistent room in the database, in order,
// and a crash (the process exits without closing anything) keeps at least
// what was flushed before it: a prefix of what was said.
func TestHistoryInTheStore(t *testing.T) {
	if dir := os.Getenv("MUC_HISTORY_CRASH_DIR"); dir != "" {
		crashChild(t, dir)
		return
	}
	dir := t.TempDir()
	s, db := persistentRoomIn(t, dir)
	say(t, s, 0, 300)
	s.Close()
	db.Close()
	db, err := store.Open(store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(storedBodies(t, db), ","); got != seq(0, 300) {
		t.Errorf("after a clean shutdown the store has %q", got)
	}
	if recs, _ := db.RoomHistory("conference.localhost", "team"); len(recs) == 0 || !strings.Contains(string(recs[0]), `"xml":"<message `) {
		t.Errorf("a stored record escapes its XML (or there is none): %d records, %.100q", len(recs), append(recs, nil)[0])
	}
	db.Close()

	crashDir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestHistoryInTheStore$")
	cmd.Env = append(os.Environ(), "MUC_HISTORY_CRASH_DIR="+crashDir)
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("child exit %d (%v): %s", code, err, out)
	}
	db, err = store.Open(filepath.Join(crashDir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := storedBodies(t, db)
	if len(got) < 100 || strings.Join(got, ",") != seq(0, len(got)) {
		t.Errorf("after a crash the store has %d messages, want the 100 flushed at least, in order: %v", len(got), got)
	}
}

// persistentRoomIn opens the store in dir and makes alice's persistent
// room in a service on it.
func persistentRoomIn(t *testing.T, dir string) (*Service, *store.DB) {
	t.Helper()
	db, err := store.Open(store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newService(t, Options{MaxHistory: 500, Store: db})
	join(t, s, alice, "Alice")
	makePersistent(t, s, alice)
	return s, db
}

// crashChild says 100 messages, flushes, says 100 more and exits at once.
func crashChild(t *testing.T, dir string) {
	s, _ := persistentRoomIn(t, dir)
	say(t, s, 0, 100)
	s.Flush()
	say(t, s, 100, 100)
	os.Exit(3)
}
