package server_test

// Fault tests ("Performance and hardening", item 5), the second:
// TestRestartUnderMessageLoad, a graceful restart in the middle of a message
// load that loses no message the server acknowledged and duplicates none.
// Its helpers are in faults_restart_helpers_test.go; the killed clients in
// faults_kill_test.go.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"jabberd/config"
	"jabberd/negotiation"
	"jabberd/server"
	"jabberd/stream"
)

// TestRestartUnderMessageLoad: senders stream messages to recipients that
// read, read nothing, or are offline, pinging every few messages; the server
// shuts down gracefully in the middle (as on SIGTERM) and a new one starts
// on the same state directory. Every message acknowledged by a later ping
// answer — and every message the server read at all — reaches its
// recipient exactly once: live before the shutdown, or from offline storage
// (with a delay stamp) after the restart. Nothing is ever duplicated.
//
// The stalled recipient is there for the shutdown's hard cases, made to
// happen every run: when the shutdown comes, its connection's writer is
// blocked on full socket buffers with more messages queued behind it
// (they must be stored), and a message read before the shutdown is routed
// to it while its queue is closing (it must be stored after them).
func TestRestartUnderMessageLoad(t *testing.T) {
	const (
		senders   = 4  // load senders; the filler is one more, number senders
		perPing   = 20 // messages between two pings
		window    = 4  // unanswered pings a load sender may have
		stopAfter = 25 // answered pings per load sender before the shutdown
	)
	type recipient struct {
		name string
		kind string // "online", "stalled" or "offline"
	}
	recipients := []recipient{{"reader1", "online"}, {"reader2", "online"}, {"stalled", "stalled"}, {"away1", "offline"}, {"away2", "offline"}}
	senderName := func(i int) string {
		if i == senders {
			return "filler"
		}
		return "sender" + strconv.Itoa(i)
	}
	targetOf := func(i, j int) string {
		if i == senders {
			return "stalled"
		}
		return recipients[(i+j)%len(recipients)].name
	}
	holdID := fmt.Sprintf("m%d-%05d", senders, 99999) // the filler's last message

	dir := t.TempDir()
	mod := func(c *config.Config) {
		c.StateDir = dir
		c.Chat.OfflineQuota = 0 // nothing refused: every message is delivered or stored
		c.Log.Level = "info"    // megabytes of messages: not every element in the log
		for i := range senders + 1 {
			c.Users = append(c.Users, config.User{Name: senderName(i), Password: senderName(i) + "-pw"})
		}
		for _, r := range recipients {
			c.Users = append(c.Users, config.User{Name: r.name, Password: r.name + "-pw"})
		}
	}

	// The first server's hook records every message it reads, and holds
	// the filler's last one (between reading and routing) until told.
	var readMu sync.Mutex
	var read []string
	held, unhold := make(chan struct{}), make(chan struct{})
	hook := func(ev negotiation.Event) {
		e, ok := ev.(negotiation.ElementEvent)
		if !ok || e.Element.Tag != "message" {
			return
		}
		id := e.Element.SelectAttrValue("id", "")
		readMu.Lock()
		read = append(read, id)
		readMu.Unlock()
		if id == holdID {
			close(held)
			<-unhold
		}
	}
	began := time.Now()
	h1 := startWith(t, mod, func(set *server.Setup) { server.SetTestHookEvent(set.Server, hook) })
	var unholdOnce sync.Once
	defer unholdOnce.Do(func() { close(unhold) }) // a failing test must not leave the server's goroutine held

	// Recipients that are online read until the server closes their
	// stream; the stalled one only from when the test releases it.
	live := map[string]*drained{}
	release := make(chan struct{})
	var releaseOnce sync.Once
	defer releaseOnce.Do(func() { close(release) })
	var readers sync.WaitGroup
	for _, r := range recipients {
		if r.kind == "offline" {
			continue
		}
		c := h1.login(t, r.name, "r")
		c.available("")
		d := &drained{}
		live[r.name] = d
		readers.Go(func() {
			if r.kind == "stalled" {
				<-release
			}
			d.els, d.end = c.drain(nil)
		})
	}

	// Load senders: a writer and a reader each.
	ss := make([]*loadSender, senders+1)
	ready := make(chan struct{}, senders)
	var workers sync.WaitGroup
	for i := range senders {
		s := &loadSender{c: h1.login(t, senderName(i), "s"), name: senderName(i), pingAt: map[string]int{}}
		ss[i] = s
		credits := make(chan struct{}, window)
		readerDone := make(chan struct{})
		workers.Go(func() {
			defer close(readerDone)
			s.c.drain(func(el *etree.Element) bool {
				id := el.SelectAttrValue("id", "")
				s.mu.Lock()
				defer s.mu.Unlock()
				if at, ok := s.pingAt[id]; ok && el.Tag == "iq" && el.SelectAttrValue("type", "") == "result" {
					if at < s.acked {
						s.odd = append(s.odd, "ping answered out of order: "+string(stream.Marshal(el)))
					}
					s.acked = at
					if s.answered++; s.answered == stopAfter {
						ready <- struct{}{}
					}
					<-credits
					return true
				}
				if !(el.Tag == "error" && el.Space == "stream") {
					s.odd = append(s.odd, string(stream.Marshal(el)))
				}
				return true
			})
		})
		workers.Go(func() {
			for j := 0; ; j++ {
				if j > 0 && j%perPing == 0 {
					select {
					case credits <- struct{}{}:
					case <-readerDone:
						return
					}
					pid := fmt.Sprintf("p%d-%d", i, j/perPing)
					s.mu.Lock()
					s.pingAt[pid] = len(s.sent)
					s.mu.Unlock()
					if s.c.write("<iq type='get' id='"+pid+"' to='localhost'><ping xmlns='"+nsPing+"'/></iq>") != nil {
						return
					}
				}
				id := fmt.Sprintf("m%d-%05d", i, j)
				s.mu.Lock()
				s.sent = append(s.sent, id)
				s.mu.Unlock()
				if s.c.write("<message to='"+targetOf(i, j)+"@localhost' type='chat' id='"+id+"'><body>"+id+"</body></message>") != nil {
					return
				}
			}
		})
	}

	// The filler, meanwhile, sends large messages to the stalled recipient
	// until the server's writer for it blocks on full socket buffers, then
	// two more, which wait in its queue.
	filler := &loadSender{c: h1.login(t, senderName(senders), "s"), name: senderName(senders)}
	ss[senders] = filler
	fill := func(j int) {
		id := fmt.Sprintf("m%d-%05d", senders, j)
		filler.mu.Lock()
		filler.sent = append(filler.sent, id)
		filler.mu.Unlock()
		filler.c.send("<message to='stalled@localhost' type='chat' id='" + id + "'><subject>" + fillPadding + "</subject><body>" + id + "</body></message>")
	}
	fillerPing := func() {
		filler.c.ping()
		filler.mu.Lock()
		filler.acked = len(filler.sent)
		filler.mu.Unlock()
	}
	var stalledConn string
	j := 0
	for ; stalledConn == ""; j++ {
		if j == 512 { // 16 MiB
			t.Fatalf("the server wrote %d KiB to a recipient that reads nothing without ever blocking", j*len(fillPadding)>>10)
		}
		fill(j)
		if j%4 == 3 {
			fillerPing()
			if w := parkedConns("IO wait", "drain"); len(w) == 1 {
				stalledConn = w[0]
			} else if len(w) > 1 {
				t.Fatalf("%d connections' writers are blocked, want only the stalled recipient's", len(w))
			}
		}
	}
	queued := []string{fmt.Sprintf("m%d-%05d", senders, j), fmt.Sprintf("m%d-%05d", senders, j+1)}
	fill(j)
	fill(j + 1)
	fillerPing()
	if !slices.Contains(parkedConns("IO wait", "drain"), stalledConn) {
		t.Fatalf("the writer for the stalled recipient unblocked although it reads nothing")
	}
	t.Logf("the writer for the stalled recipient blocked after %d KiB of the filler's messages", j*len(fillPadding)>>10)

	// The shutdown comes while every load sender is still writing.
	timeout := time.After(20 * time.Second)
	for range senders {
		select {
		case <-ready:
		case <-timeout:
			t.Fatalf("the senders did not get %d pings answered each within 20s", stopAfter)
		}
	}
	filler.mu.Lock()
	filler.sent = append(filler.sent, holdID)
	filler.mu.Unlock()
	filler.c.send("<message to='stalled@localhost' type='chat' id='" + holdID + "'><subject>" + fillPadding + "</subject><body>" + holdID + "</body></message>")
	select {
	case <-held:
	case <-time.After(ioTimeout):
		t.Fatalf("the server did not read the filler's last message")
	}
	stopAt := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*ioTimeout)
	defer cancel()
	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- h1.shutdown(ctx) }()
	// The stalled recipient's connection ends its queue and waits for its
	// blocked writer; the held message then goes to it and must wait too.
	waitParked(t, stalledConn, "sync.Cond.Wait", "CloseQueue", "the stalled recipient's queue to close")
	unholdOnce.Do(func() { close(unhold) })
	waitParked(t, stalledConn, "chan receive", "Enqueue", "the held message to meet the closing queue")
	releaseOnce.Do(func() { close(release) })
	select {
	case err := <-shutdownErr:
		if err != nil {
			t.Errorf("Shutdown: %v (connections had to be cut: the test cannot tell lost from unread)", err)
		}
	case <-time.After(4 * ioTimeout):
		t.Fatalf("Shutdown did not return")
	}
	stopped := time.Since(stopAt)
	waitGroup(t, &workers, "senders")
	waitGroup(t, &readers, "recipients")
	for name, d := range live {
		if d.end != "close" {
			t.Errorf("%s's stream ended with %q, not the server's </stream:stream>: what was written to it may be unread", name, d.end)
		}
	}
	if err := h1.set.Store.Close(); err != nil { // as main does, after Shutdown
		t.Fatalf("close store: %v", err)
	}

	// The second server: every recipient comes online and takes its
	// offline messages, which come before the answer to a ping sent after
	// the initial presence.
	h2 := start(t, mod)
	offline := map[string][]*etree.Element{}
	for _, r := range recipients {
		c := h2.login(t, r.name, "again")
		c.send("<presence/><iq type='get' id='after' to='localhost'><ping xmlns='" + nsPing + "'/></iq>")
		self := 0
		for {
			el := c.nextElement()
			if el.Tag == "iq" && el.SelectAttrValue("id", "") == "after" {
				break
			}
			switch {
			case el.Tag == "message":
				offline[r.name] = append(offline[r.name], el)
			case el.Tag == "presence" && el.SelectAttrValue("from", "") == c.jid:
				self++
			default:
				t.Errorf("%s after the restart: unexpected %s", r.name, stream.Marshal(el))
			}
		}
		if self != 1 {
			t.Errorf("%s after the restart: %d copies of its own presence, want 1", r.name, self)
		}
		if n, err := h2.set.Store.CountOffline(r.name); err != nil || n != 0 {
			t.Errorf("%s: %d offline messages left in the store after delivery (%v)", r.name, n, err)
		}
	}

	// Every copy received, live or offline, checked and counted by id.
	got := map[string]int{}
	offlineIDs := map[string]bool{}
	pairs := map[string][]int{} // "sender→recipient" → message numbers, in order of receipt (live, then offline)
	var nLive, nOffline int
	check := func(who string, el *etree.Element, stored bool) {
		id := el.SelectAttrValue("id", "")
		m := loadIDRe.FindStringSubmatch(id)
		if m == nil {
			t.Errorf("%s received a message that no sender wrote: %.200s", who, stream.Marshal(el))
			return
		}
		i, _ := strconv.Atoi(m[1])
		j, _ := strconv.Atoi(m[2])
		if i > senders || targetOf(i, j) != who ||
			el.SelectAttrValue("from", "") != senderName(i)+"@localhost/s" ||
			el.SelectAttrValue("to", "") != who+"@localhost" || el.SelectAttrValue("type", "") != "chat" {
			t.Errorf("%s received a message with the wrong addresses: %.200s", who, stream.Marshal(el))
		}
		if b, sub := el.SelectElement("body"), el.SelectElement("subject"); b == nil || b.Text() != id ||
			(sub == nil) != (i != senders) || (sub != nil && sub.Text() != fillPadding) {
			t.Errorf("%s received a message with the wrong content: %.200s", who, stream.Marshal(el))
		}
		var delays []*etree.Element
		for _, d := range el.SelectElements("delay") {
			if d.NamespaceURI() == nsDelay {
				delays = append(delays, d)
			}
		}
		switch {
		case stored && len(delays) != 1:
			t.Errorf("%s: offline copy of %s has %d XEP-0203 delay stamps, want 1", who, id, len(delays))
		case stored:
			stamp, err := time.Parse(time.RFC3339, delays[0].SelectAttrValue("stamp", ""))
			if err != nil || delays[0].SelectAttrValue("from", "") != "localhost" ||
				stamp.Before(began.Truncate(time.Second)) || stamp.After(time.Now()) {
				t.Errorf("%s: offline copy of %s has a wrong delay stamp %s (stored between %v and now) %v",
					who, id, stream.Marshal(delays[0]), began.UTC().Format(time.RFC3339), err)
			}
			nOffline++
			offlineIDs[id] = true
		case len(delays) != 0:
			t.Errorf("%s: live copy of %s has a delay stamp: it was never stored", who, id)
		default:
			nLive++
		}
		got[id]++
		k := senderName(i) + "→" + who
		pairs[k] = append(pairs[k], j)
	}
	for _, r := range recipients {
		if d := live[r.name]; d != nil {
			for _, el := range d.els {
				if el.Tag == "message" {
					check(r.name, el, false)
				}
			}
		}
		for _, el := range offline[r.name] {
			check(r.name, el, true)
		}
	}
	for id, n := range got {
		if n > 1 {
			t.Errorf("%s received %d times", id, n)
		}
	}
	for k, js := range pairs {
		if !slices.IsSorted(js) {
			t.Errorf("%s: messages out of sending order (live, then offline): %v", k, js)
		}
	}
	// What waited behind the blocked writer, and what met the closing
	// queue, was stored.
	for _, id := range append(queued, holdID) {
		if !offlineIDs[id] {
			t.Errorf("%s, queued for the stalled recipient or routed to it while its queue closed, was not delivered from offline storage (received %d times)", id, got[id])
		}
	}

	// Acknowledged by a ping answer: exactly once. Written after the last
	// answer: at most once (checked above), possibly not at all.
	var sent, acked, unackedMissing int
	for _, s := range ss {
		for _, odd := range s.odd {
			t.Errorf("%s received %s", s.name, odd)
		}
		sent += len(s.sent)
		acked += s.acked
		for n, id := range s.sent {
			switch {
			case n < s.acked && got[id] != 1:
				t.Errorf("%s: %s was acknowledged (answered ping after it) but received %d times", s.name, id, got[id])
			case n >= s.acked && got[id] == 0:
				unackedMissing++
			}
		}
	}
	// Read by the first server (its hook saw them): delivered or stored,
	// so exactly once as well.
	readMu.Lock()
	defer readMu.Unlock()
	for _, id := range read {
		if got[id] != 1 {
			t.Errorf("%s was read by the server but received %d times", id, got[id])
		}
	}
	if acked < senders*stopAfter*perPing || nOffline == 0 || nLive == 0 {
		t.Errorf("the load did not test anything: %d acknowledged, %d live, %d offline", acked, nLive, nOffline)
	}
	t.Logf("written %d, read by the server %d, acknowledged %d; received live %d, offline after the restart %d; "+
		"unacknowledged and never received %d; shutdown took %v",
		sent, len(read), acked, nLive, nOffline, unackedMissing, stopped.Round(time.Millisecond))
	for _, r := range recipients {
		n := 0
		if d := live[r.name]; d != nil {
			for _, el := range d.els {
				if el.Tag == "message" {
					n++
				}
			}
		}
		t.Logf("  %-8s (%s): live %d, offline %d", r.name, r.kind, n, len(offline[r.name]))
	}
}
