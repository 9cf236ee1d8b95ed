package store

import (
	"reflect"
	"testing"

	"jabberd/accounts"
)

// TestSyncUsers checks the rule for accounts: the configuration manages
// the accounts it names (created, password set, marked Configured), takes
// over one made by `jabberd users`, and releases, without deleting, one it
// no longer names.
func TestSyncUsers(t *testing.T) {
	db, _ := openT(t)
	opt := accounts.Options{Iterations: 4096}
	carol, err := accounts.NewAccount("carol", "carol-pw", opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutAccount(carol); err != nil { // made by jabberd users add
		t.Fatal(err)
	}
	users := []accounts.User{{Name: "alice", Password: "a"}, {Name: "carol", Password: "carol-pw"}}
	r, err := db.SyncUsers(users, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := Sync{Created: []string{"alice"}, TakenOver: []string{"carol"}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("first sync: %+v, want %+v", r, want)
	}
	for _, n := range []string{"alice", "carol"} {
		if a, _ := db.Lookup(n); !a.Configured {
			t.Errorf("%s is not marked Configured", n)
		}
	}

	// alice's password changes in the file; carol leaves it.
	r, err = db.SyncUsers([]accounts.User{{Name: "alice", Password: "a2"}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	want = Sync{Changed: []string{"alice"}, Released: []string{"carol"}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("second sync: %+v, want %+v", r, want)
	}
	c, err := db.Lookup("carol")
	if err != nil || c.Configured || !c.CheckPassword("carol-pw") {
		t.Errorf("carol after release: %+v, %v (want kept, unmarked, same password)", c, err)
	}

	// Again: nothing to do.
	r, err = db.SyncUsers([]accounts.User{{Name: "alice", Password: "a2"}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if want = (Sync{Unchanged: []string{"alice"}}); !reflect.DeepEqual(r, want) {
		t.Errorf("third sync: %+v, want %+v", r, want)
	}
}
