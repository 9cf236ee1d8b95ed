package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"jabberd/server"
)

// TestParkedSessionsUnderLoad: sessions that park and resume (each sends a
// keepalive now and then) while another session sends them messages (which
// are written while they are parked), half of them replaced by a new login
// meanwhile, and then the server shuts down with all of them at every
// stage. Each stream ends with its own reason (conflict for the replaced,
// system-shutdown for the rest), every message a session received was
// whole and meant for it, and the shutdown did not have to cut anyone.
func TestParkedSessionsUnderLoad(t *testing.T) {
	const n = 8
	h := start(t, nil)
	type result struct {
		name, end string
		bodies    int
		wrong     string
	}
	results := make(chan result, 3*n)
	var readers sync.WaitGroup
	stop := make(chan struct{})
	watch := func(c *chatClient, name string) {
		readers.Add(1)
		go func() {
			defer readers.Done()
			go func() { // keepalives: the session resumes, then parks again
				for {
					select {
					case <-stop:
						return
					case <-time.After(time.Duration(500+rand.IntN(1500)) * time.Millisecond):
					}
					if c.write(" ") != nil {
						return
					}
				}
			}()
			res := result{name: name}
			els, end := c.drain(nil)
			for _, el := range els {
				if el.Tag == "message" {
					res.bodies++
					if to := el.SelectAttrValue("to", ""); to != c.jid && res.wrong == "" {
						res.wrong = to
					}
				}
			}
			res.end = streamErrorOf(els, end)
			results <- res
		}()
	}
	alices := make([]*chatClient, n)
	for i := range alices {
		alices[i] = h.login(t, "alice", fmt.Sprintf("r%d", i))
		watch(alices[i], fmt.Sprintf("r%d", i))
	}
	bob := h.login(t, "bob", "b")
	waitFor(t, "a session parked", func() bool { return server.Parked(h.set.Server) > 0 })

	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			to := fmt.Sprintf("alice@localhost/r%d", k%n)
			if bob.write(fmt.Sprintf("<message to='%s' type='chat'><body>m%d %s</body></message>", to, k, strings.Repeat("x", rand.IntN(3000)))) != nil {
				return
			}
			time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
		}
	}()
	for i := range n / 2 {
		time.Sleep(time.Duration(rand.IntN(600)) * time.Millisecond)
		watch(h.login(t, "alice", fmt.Sprintf("r%d", i)), fmt.Sprintf("r%d again", i))
	}
	time.Sleep(1500 * time.Millisecond) // the replacements park too
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.shutdown(ctx); err != nil {
		t.Errorf("the shutdown ended with %v: a session did not end when asked", err)
	}
	close(stop)
	<-sent
	readers.Wait()
	close(results)
	got := map[string]result{}
	for r := range results {
		got[r.name] = r
	}
	for i := range n {
		name := fmt.Sprintf("r%d", i)
		want := "system-shutdown"
		if i < n/2 {
			want = "conflict"
			if r := got[name+" again"]; r.end != "system-shutdown" {
				t.Errorf("%s again ended with %q, want system-shutdown", name, r.end)
			}
		}
		r := got[name]
		if r.end != want {
			t.Errorf("%s ended with %q, want %s", name, r.end, want)
		}
		if r.wrong != "" {
			t.Errorf("%s received a message for %s", name, r.wrong)
		}
		t.Logf("%s: %d messages, %s", name, r.bodies, r.end)
	}
}
