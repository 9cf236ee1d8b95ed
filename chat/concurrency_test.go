package chat_test

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"jabberd/chat"
	"jabberd/store"
)

// TestConcurrentRouting runs sessions of several users at once: bind,
// presence, roster, subscriptions, messages, IQs, unbind; under -race. Every
// message to a bare JID reaches exactly one session or offline storage
// (each resource has its own priority, so there is one best target).
func TestConcurrentRouting(t *testing.T) {
	const users, resources, rounds = 6, 3, 25
	names := make([]string, users)
	for u := range names {
		names[u] = fmt.Sprintf("user%d", u)
	}
	db := openStore(t, names...)
	e := &env{t: t, db: db, r: chat.NewRouter(domain, db, chat.Options{}, zerolog.Nop())}
	for u := range users {
		e.relate(names[u], names[(u+1)%users], store.SubBoth)
	}

	var (
		mu    sync.Mutex
		fakes []*fake
		sent  []string
		wg    sync.WaitGroup
	)
	for u := range users {
		for res := range resources {
			wg.Go(func() {
				jid := fmt.Sprintf("%s@%s/r%d", names[u], domain, res)
				next := names[(u+1)%users] + "@" + domain
				for i := range rounds {
					s := newFake(jid)
					mu.Lock()
					fakes = append(fakes, s)
					mu.Unlock()
					e.r.Bind(s)
					e.send(s, fmt.Sprintf(`<presence from='%s'><priority>%d</priority></presence>`, jid, res))
					e.send(s, fmt.Sprintf(`<iq from='%s' id='rg' type='get'><query xmlns='jabber:iq:roster'/></iq>`, jid))
					id := fmt.Sprintf("c-%d-%d-%d", u, res, i)
					e.send(s, fmt.Sprintf(`<message from='%s' to='%s' id='%s' type='chat'><body>%d</body></message>`, jid, next, id, i))
					mu.Lock()
					sent = append(sent, id)
					mu.Unlock()
					e.send(s, fmt.Sprintf(`<presence from='%s' to='%s/r%d'/>`, jid, next, res))
					e.send(s, fmt.Sprintf(`<iq from='%s' to='%s/r%d' id='q' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`, jid, next, res))
					e.send(s, fmt.Sprintf(`<iq from='%s' id='p' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`, jid))
					// A subscription dance with a non-contact, and a roster edit.
					other := names[(u+2)%users] + "@" + domain
					switch i % 4 {
					case 0:
						e.send(s, fmt.Sprintf(`<presence from='%s' to='%s' type='subscribe'/>`, jid, other))
					case 1:
						e.send(s, fmt.Sprintf(`<presence from='%s' to='%s' type='subscribed'/>`, jid, other))
					case 2:
						e.send(s, fmt.Sprintf(`<presence from='%s' to='%s' type='unsubscribe'/>`, jid, other))
					case 3:
						e.send(s, fmt.Sprintf(`<iq from='%s' id='s' type='set'><query xmlns='jabber:iq:roster'><item jid='%s' name='n%d'/></query></iq>`, jid, other, i))
					}
					e.send(s, fmt.Sprintf(`<presence from='%s'><show>away</show><priority>%d</priority></presence>`, jid, res))
					_ = e.r.Lookup(jid)
					_ = e.r.Resources(next)
					_ = e.r.Count()
					if i%3 == 0 {
						e.send(s, fmt.Sprintf(`<presence from='%s' type='unavailable'/>`, jid))
					}
					e.r.Unbind(s)
				}
			})
		}
	}
	wg.Wait()
	if n := e.r.Count(); n != 0 {
		t.Errorf("Count() = %d after every session unbound, want 0", n)
	}

	// Every chat message reached one session or waits offline, once.
	seen := map[string]int{}
	msgID := regexp.MustCompile(`^<message [^>]*id='(c-[^']*)'`)
	for _, f := range fakes {
		for _, s := range f.take() {
			if strings.HasPrefix(s, "<message") && strings.Contains(s, "type='error'") {
				t.Errorf("%s received an error: %s", f.jid, s)
			}
			if m := msgID.FindStringSubmatch(s); m != nil {
				seen[m[1]]++
			}
		}
	}
	for _, n := range names {
		msgs, err := db.TakeOffline(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if sm := msgID.FindSubmatch(m.Stanza); sm != nil {
				seen[string(sm[1])]++
			}
		}
	}
	for _, id := range sent {
		if seen[id] != 1 {
			t.Errorf("message %s arrived %d times, want 1", id, seen[id])
		}
	}
	if len(seen) != len(sent) {
		t.Errorf("%d distinct messages arrived, %d were sent", len(seen), len(sent))
	}
}

func TestConcurrentBindSameJID(t *testing.T) {
	e := newEnv(t, chat.Options{})
	const n = 64
	all := make([]*fake, n)
	var wg sync.WaitGroup
	for i := range all {
		all[i] = newFake("alice@example.com/r")
		f := all[i]
		wg.Go(func() {
			e.r.Bind(f)
			e.send(f, `<presence from='alice@example.com/r'/>`)
		})
	}
	wg.Wait()
	winner, ok := e.r.Lookup("alice@example.com/r").(*fake)
	if !ok {
		t.Fatal("nothing bound")
	}
	total := 0
	for _, f := range all {
		total += f.replaces()
		if f.replaces() > 1 {
			t.Errorf("a session was replaced %d times", f.replaces())
		}
	}
	if total != n-1 {
		t.Errorf("Replace called %d times in all, want %d", total, n-1)
	}
	if winner.replaces() != 0 {
		t.Error("the bound session was told it is replaced")
	}
	if e.r.Count() != 1 {
		t.Errorf("Count() = %d, want 1", e.r.Count())
	}
	for _, f := range all {
		e.r.Unbind(f)
	}
	if e.r.Count() != 0 {
		t.Errorf("Count() = %d after unbinding all, want 0", e.r.Count())
	}
}

// TestContactsOnlineTogetherSeeEachOtherOnce: two contacts sending their
// initial presence at the same moment each learn of the other exactly once
// (the one's broadcast and the other's probe must not both tell it).
func TestContactsOnlineTogetherSeeEachOtherOnce(t *testing.T) {
	const pairs, rounds = 8, 30
	var names []string
	for p := range pairs {
		names = append(names, fmt.Sprintf("a%d", p), fmt.Sprintf("b%d", p))
	}
	db := openStore(t, names...)
	e := &env{t: t, db: db, r: chat.NewRouter(domain, db, chat.Options{}, zerolog.Nop())}
	for p := range pairs {
		e.relate(names[2*p], names[2*p+1], store.SubBoth)
	}
	for round := range rounds {
		var wg sync.WaitGroup
		fakes := make([]*fake, len(names))
		for i, n := range names {
			fakes[i] = newFake(fmt.Sprintf("%s@%s/r%d", n, domain, round))
			e.r.Bind(fakes[i])
		}
		for _, f := range fakes {
			wg.Go(func() { e.send(f, fmt.Sprintf(`<presence from='%s'/>`, f.jid)) })
		}
		wg.Wait()
		for i, f := range fakes {
			peer := fakes[i^1].jid
			want := fmt.Sprintf("<presence from='%s' to='%s'/>", peer, f.jid)
			n := 0
			for _, s := range f.take() {
				if s == want {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("round %d: %s saw %s's presence %d times, want 1", round, f.jid, peer, n)
			}
		}
		for _, f := range fakes {
			e.r.Unbind(f)
		}
	}
}
