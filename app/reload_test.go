package app_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"jabberd/config"
	"jabberd/control"
	"jabberd/internal/testserver"
)

// TestReloadWhileServing reloads a serving setup again and again while
// other goroutines read its status and metrics (run with -race): the
// reloadable keys apply, the others are reported and keep their value, and
// a reload that cannot load a certificate changes nothing.
func TestReloadWhileServing(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Configure: func(c *config.Config) {
		c.Lab.StatusAddress = "127.0.0.1:0"
	}})
	set := srv.Set
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		url := "http://" + set.StatusAddr().String() + "/metrics"
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = set.Status()
			if resp, err := http.Get(url); err == nil {
				resp.Body.Close()
			}
		}
	}()
	next := func(mod func(*config.Config)) *config.Config {
		c := *srv.Cfg
		c.Users = slices.Clone(srv.Cfg.Users)
		mod(&c)
		return &c
	}
	for i := range 5 {
		rep, err := set.Reload(next(func(c *config.Config) {
			c.Users[0].Password = "pw" + string(rune('a'+i))
			c.Lab.ClientChoice = i%2 == 0
			c.Domain = "other.example"
		}))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(rep.Applied, "user") || !slices.Equal(rep.Restart, []string{"domain"}) {
			t.Errorf("reload %d: %+v", i, rep)
		}
	}
	if st := set.Status(); st.Domain != "localhost" || st.Reloads != 5 {
		t.Errorf("after the reloads: domain %q (a restart-only key changed), reloads %d", st.Domain, st.Reloads)
	}
	a, err := set.Store.Lookup("alice")
	if err != nil || !a.CheckPassword("pwe") || !a.Configured {
		t.Errorf("alice after the reloads: %v, %v", a, err)
	}

	// A certificate that cannot be read: nothing changes, not even the
	// accounts.
	_, err = set.Reload(next(func(c *config.Config) {
		c.Users[0].Password = "never"
		c.TLS.Cert, c.TLS.Key = "/nonexistent.crt", "/nonexistent.key"
	}))
	if err == nil {
		t.Fatal("a reload with an unreadable certificate succeeded")
	}
	srv.AllowError("reload failed: the running configuration is unchanged")
	if a, _ := set.Store.Lookup("alice"); a.CheckPassword("never") {
		t.Error("a failed reload changed a password")
	}
	if st := set.Status(); st.LastReloadError == "" || st.Reloads != 5 {
		t.Errorf("after a failed reload: %+v", st)
	}
	close(stop)
	wg.Wait()

	// The control handler's view of the same.
	resp := (srvControl{set}).handle(control.Request{Command: control.CmdUsersCheck, Op: "passwd", Name: "alice"})
	if resp.OK {
		t.Error("passwd of a configured account passed the check")
	}
}
