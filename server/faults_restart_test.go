package server_test

// Fault tests ("Performance and hardening", item 5), the second:
// TestRestartUnderMessageLoad, a graceful restart in the middle of a message
// load that loses no message the server acknowledged and duplicates none.
// Its phases up to the restart are here; its assertions and helpers are in
// faults_restart_helpers_test.go; the killed clients in faults_kill_test.go.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"jabberd/app"
	"jabberd/config"
	"jabberd/negotiation"
	"jabberd/server"
	"jabberd/stream"
	"jabberd/transport"
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
// to it while its queue is closing (it must be stored after them). The
// server cuts a writer blocked for transport.WriteTimeout (10 s), so the
// writer is blocked only once the senders have run their course, just
// before the shutdown: on a loaded machine the senders can take longer
// than that, and the writer was cut before the shutdown came.
func TestRestartUnderMessageLoad(t *testing.T) {
	r := newRestartRun(t)
	r.startFirst()
	// A failing test must not leave the server's goroutine held, nor the
	// stalled recipient's reader waiting.
	defer r.unholdOnce.Do(func() { close(r.unhold) })
	defer r.releaseOnce.Do(func() { close(r.release) })
	r.startRecipients()
	r.startSenders()
	r.waitSenders()
	r.fillStalled()
	r.shutdownUnderLoad()
	r.restartAndCollect()
	r.checkReceived()
	r.checkAcknowledged()
	r.logRecipients()
}

const (
	loadSenders   = 4  // load senders; the filler is one more, number loadSenders
	loadPerPing   = 20 // messages between two pings
	loadWindow    = 4  // unanswered pings a load sender may have
	loadStopAfter = 25 // answered pings per load sender before the shutdown
)

type loadRecipient struct {
	name string
	kind string // "online", "stalled" or "offline"
}

var loadRecipients = []loadRecipient{{"reader1", "online"}, {"reader2", "online"}, {"stalled", "stalled"}, {"away1", "offline"}, {"away2", "offline"}}

// loadHoldID is the filler's last message.
var loadHoldID = fmt.Sprintf("m%d-%05d", loadSenders, 99999)

func loadSenderName(i int) string {
	if i == loadSenders {
		return "filler"
	}
	return "sender" + strconv.Itoa(i)
}

func loadTargetOf(i, j int) string {
	if i == loadSenders {
		return "stalled"
	}
	return loadRecipients[(i+j)%len(loadRecipients)].name
}

// restartRun is the state of one TestRestartUnderMessageLoad, phase to
// phase.
type restartRun struct {
	t     *testing.T
	dir   string    // the state directory both servers share
	began time.Time // before the first server: offline stamps are later
	h1    *harness

	// The first server's hook: every message it read, and the hold of the
	// filler's last one.
	readMu       sync.Mutex
	read         []string
	held, unhold chan struct{}
	unholdOnce   sync.Once

	live        map[string]*drained // recipients online on the first server
	release     chan struct{}       // lets the stalled recipient read
	releaseOnce sync.Once
	readers     sync.WaitGroup

	ss      []*loadSender // the load senders, then the filler
	filler  *loadSender
	ready   chan struct{} // a load sender had loadStopAfter pings answered
	workers sync.WaitGroup

	stalledConn string    // the stalled recipient's connection, in goroutine dumps
	blockedAt   time.Time // when its writer was seen blocked
	queued      []string  // the filler's messages queued behind its blocked writer
	stopped     time.Duration

	offline map[string][]*etree.Element // received after the restart
	restartTally
}

func newRestartRun(t *testing.T) *restartRun {
	return &restartRun{
		t: t, dir: t.TempDir(),
		held: make(chan struct{}), unhold: make(chan struct{}),
		live: map[string]*drained{}, release: make(chan struct{}),
		ss: make([]*loadSender, loadSenders+1), ready: make(chan struct{}, loadSenders),
		offline: map[string][]*etree.Element{},
	}
}

// configure is both servers' configuration.
func (r *restartRun) configure(c *config.Config) {
	c.StateDir = r.dir
	c.Chat.OfflineQuota = 0 // nothing refused: every message is delivered or stored
	c.Log.Level = "info"    // megabytes of messages: not every element in the log
	for i := range loadSenders + 1 {
		c.Users = append(c.Users, config.User{Name: loadSenderName(i), Password: loadSenderName(i) + "-pw"})
	}
	for _, rc := range loadRecipients {
		c.Users = append(c.Users, config.User{Name: rc.name, Password: rc.name + "-pw"})
	}
}

// hook, the first server's, records every message it reads, and holds the
// filler's last one (between reading and routing) until told.
func (r *restartRun) hook(ev negotiation.Event) {
	e, ok := ev.(negotiation.ElementEvent)
	if !ok || e.Element.Tag != "message" {
		return
	}
	id := e.Element.SelectAttrValue("id", "")
	r.readMu.Lock()
	r.read = append(r.read, id)
	r.readMu.Unlock()
	if id == loadHoldID {
		close(r.held)
		<-r.unhold
	}
}

func (r *restartRun) startFirst() {
	r.began = time.Now()
	r.h1 = startWith(r.t, r.configure, func(set *app.Setup) { server.SetTestHookEvent(set.Server, r.hook) })
}

// startRecipients: recipients that are online read until the server closes
// their stream; the stalled one only from when the test releases it.
func (r *restartRun) startRecipients() {
	for _, rc := range loadRecipients {
		if rc.kind == "offline" {
			continue
		}
		c := r.h1.login(r.t, rc.name, "r")
		c.available("")
		d := &drained{}
		r.live[rc.name] = d
		r.readers.Go(func() {
			if rc.kind == "stalled" {
				<-r.release
			}
			d.els, d.end = c.drain(nil)
		})
	}
}

// startSenders starts the load senders: a writer and a reader each.
func (r *restartRun) startSenders() {
	for i := range loadSenders {
		s := &loadSender{c: r.h1.login(r.t, loadSenderName(i), "s"), name: loadSenderName(i), pingAt: map[string]int{}}
		r.ss[i] = s
		credits := make(chan struct{}, loadWindow)
		readerDone := make(chan struct{})
		r.workers.Go(func() {
			defer close(readerDone)
			r.readAnswers(s, credits)
		})
		r.workers.Go(func() { writeLoad(s, i, credits, readerDone) })
	}
}

// readAnswers is a load sender's reader: it records the answered pings,
// each returning a credit, and anything odd.
func (r *restartRun) readAnswers(s *loadSender, credits chan struct{}) {
	s.c.drain(func(el *etree.Element) bool {
		id := el.SelectAttrValue("id", "")
		s.mu.Lock()
		defer s.mu.Unlock()
		if at, ok := s.pingAt[id]; ok && el.Tag == "iq" && el.SelectAttrValue("type", "") == "result" {
			if at < s.acked {
				s.odd = append(s.odd, "ping answered out of order: "+string(stream.Marshal(el)))
			}
			s.acked = at
			if s.answered++; s.answered == loadStopAfter {
				r.ready <- struct{}{}
			}
			<-credits
			return true
		}
		if !(el.Tag == "error" && el.Space == "stream") {
			s.odd = append(s.odd, string(stream.Marshal(el)))
		}
		return true
	})
}

// writeLoad is load sender i's writer: messages, and a ping every
// loadPerPing of them while it has a credit, until a write fails or its
// reader ends.
func writeLoad(s *loadSender, i int, credits chan struct{}, readerDone chan struct{}) {
	for j := 0; ; j++ {
		if j > 0 && j%loadPerPing == 0 {
			select {
			case credits <- struct{}{}:
			case <-readerDone:
				return
			}
			pid := fmt.Sprintf("p%d-%d", i, j/loadPerPing)
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
		if s.c.write("<message to='"+loadTargetOf(i, j)+"@localhost' type='chat' id='"+id+"'><body>"+id+"</body></message>") != nil {
			return
		}
	}
}

// fillStalled: the filler, meanwhile, sends large messages to the stalled
// recipient until the server's writer for it blocks on full socket
// buffers, then two more, which wait in its queue.
func (r *restartRun) fillStalled() {
	t := r.t
	r.filler = &loadSender{c: r.h1.login(t, loadSenderName(loadSenders), "s"), name: loadSenderName(loadSenders)}
	r.ss[loadSenders] = r.filler
	j := 0
	for ; r.stalledConn == ""; j++ {
		if j == 512 { // 16 MiB
			t.Fatalf("the server wrote %d KiB to a recipient that reads nothing without ever blocking", j*len(fillPadding)>>10)
		}
		r.fill(j)
		if j%4 == 3 {
			r.fillerPing()
			if w := parkedConns("IO wait", "drain"); len(w) == 1 {
				r.stalledConn = w[0]
			} else if len(w) > 1 {
				t.Fatalf("%d connections' writers are blocked, want only the stalled recipient's", len(w))
			}
		}
	}
	r.queued = []string{fmt.Sprintf("m%d-%05d", loadSenders, j), fmt.Sprintf("m%d-%05d", loadSenders, j+1)}
	r.fill(j)
	r.fill(j + 1)
	r.fillerPing()
	if !slices.Contains(parkedConns("IO wait", "drain"), r.stalledConn) {
		t.Fatalf("the writer for the stalled recipient unblocked although it reads nothing")
	}
	t.Logf("the writer for the stalled recipient blocked after %d KiB of the filler's messages", j*len(fillPadding)>>10)
	r.blockedAt = time.Now()
}

// fill sends the filler's message number j.
func (r *restartRun) fill(j int) {
	r.sendFiller(fmt.Sprintf("m%d-%05d", loadSenders, j))
}

func (r *restartRun) sendFiller(id string) {
	r.filler.mu.Lock()
	r.filler.sent = append(r.filler.sent, id)
	r.filler.mu.Unlock()
	r.filler.c.send("<message to='stalled@localhost' type='chat' id='" + id + "'><subject>" + fillPadding + "</subject><body>" + id + "</body></message>")
}

func (r *restartRun) fillerPing() {
	r.filler.c.ping()
	r.filler.mu.Lock()
	r.filler.acked = len(r.filler.sent)
	r.filler.mu.Unlock()
}

// shutdownUnderLoad: the shutdown comes while every load sender is still
// writing, and the filler's last message is held between reading and
// routing.
func (r *restartRun) shutdownUnderLoad() {
	t := r.t
	r.sendFiller(loadHoldID)
	select {
	case <-r.held:
	case <-time.After(ioTimeout):
		t.Fatalf("the server did not read the filler's last message")
	}
	stopAt := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*ioTimeout)
	defer cancel()
	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- r.h1.shutdown(ctx) }()
	// The stalled recipient's connection ends its queue and waits for its
	// blocked writer; the held message then goes to it and must wait too.
	waitParked(t, r.stalledConn, "sync.Cond.Wait", "CloseQueue",
		fmt.Sprintf("the stalled recipient's queue to close (its writer was blocked %v before this wait; the server cuts one blocked for %v)", time.Since(r.blockedAt).Round(time.Millisecond), transport.WriteTimeout))
	r.unholdOnce.Do(func() { close(r.unhold) })
	waitParked(t, r.stalledConn, "chan receive", "Enqueue", "the held message to meet the closing queue")
	r.releaseOnce.Do(func() { close(r.release) })
	select {
	case err := <-shutdownErr:
		if err != nil {
			t.Errorf("Shutdown: %v (connections had to be cut: the test cannot tell lost from unread)", err)
		}
	case <-time.After(4 * ioTimeout):
		t.Fatalf("Shutdown did not return")
	}
	r.stopped = time.Since(stopAt)
	waitGroup(t, &r.workers, "senders")
	waitGroup(t, &r.readers, "recipients")
	for name, d := range r.live {
		if d.end != "close" {
			t.Errorf("%s's stream ended with %q, not the server's </stream:stream>: what was written to it may be unread", name, d.end)
		}
	}
	if err := r.h1.set.Store.Close(); err != nil { // as main does, after Shutdown
		t.Fatalf("close store: %v", err)
	}
}

// restartAndCollect starts the second server: every recipient comes online
// and takes its offline messages, which come before the answer to a ping
// sent after the initial presence.
func (r *restartRun) restartAndCollect() {
	t := r.t
	h2 := start(t, r.configure)
	for _, rc := range loadRecipients {
		c := h2.login(t, rc.name, "again")
		c.send("<presence/><iq type='get' id='after' to='localhost'><ping xmlns='" + nsPing + "'/></iq>")
		self := 0
		for {
			el := c.nextElement()
			if el.Tag == "iq" && el.SelectAttrValue("id", "") == "after" {
				break
			}
			switch {
			case el.Tag == "message":
				r.offline[rc.name] = append(r.offline[rc.name], el)
			case el.Tag == "presence" && el.SelectAttrValue("from", "") == c.jid:
				self++
			default:
				t.Errorf("%s after the restart: unexpected %s", rc.name, stream.Marshal(el))
			}
		}
		if self != 1 {
			t.Errorf("%s after the restart: %d copies of its own presence, want 1", rc.name, self)
		}
		if n, err := h2.set.Store.CountOffline(rc.name); err != nil || n != 0 {
			t.Errorf("%s: %d offline messages left in the store after delivery (%v)", rc.name, n, err)
		}
	}
}
