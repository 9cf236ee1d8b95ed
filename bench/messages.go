package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MessagesResult is what the messages scenario measures.
type MessagesResult struct {
	Pairs     int
	Delivered int64
	Elapsed   time.Duration
	RTTP50    time.Duration
	RTTP99    time.Duration
	ServerCPU time.Duration // -1 when unknown
	// Errors counts sessions whose read or write failed before the run
	// ended (a stream error, a close, a timeout) and messages the server
	// bounced back to a sender; FirstError says what happened first.
	Errors     int64
	FirstError string
}

// runErrors collects the errors of a run from many goroutines.
type runErrors struct {
	n     atomic.Int64
	first atomic.Value // string
}

// add counts err as one error when the run (ctx) is still going: a
// connection closed by the bench after the run is not an error.
func (e *runErrors) add(ctx context.Context, what string, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	e.n.Add(1)
	e.first.CompareAndSwap(nil, what+": "+err.Error())
}

func (e *runErrors) firstError() string {
	s, _ := e.first.Load().(string)
	return s
}

// Rate is messages delivered per second.
func (r MessagesResult) Rate() float64 { return float64(r.Delivered) / r.Elapsed.Seconds() }

// CPUPer is the server CPU per routed message, or -1.
func (r MessagesResult) CPUPer() time.Duration {
	if r.ServerCPU < 0 || r.Delivered == 0 {
		return -1
	}
	return r.ServerCPU / time.Duration(r.Delivered)
}

// Messages runs pairs of sessions streaming chat messages to each other's
// full JID, each sender keeping at most window messages in flight, plus a
// ping-pong pair measuring the round trip under that load.
func Messages(ctx context.Context, t Target, pairs, window int, d time.Duration, pid int, progress func(done, errs int64)) (MessagesResult, error) {
	res := MessagesResult{Pairs: pairs}
	ps, pp, err := messagesLogin(t, pairs)
	if err != nil {
		return res, err
	}
	bare := t.User + "@" + t.Domain
	all := []*client{pp.ping, pp.pong}
	for _, p := range ps {
		all = append(all, p.snd, p.rcv)
	}
	defer closeClients(all)
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var wg sync.WaitGroup
	// The ping-pong pair starts first and must complete one round trip
	// before the load begins: an RTT measured under load needs a working
	// measurement.
	pp.start(runCtx, &wg, bare)
	warmup := max(d, 10*time.Second)
	if !pp.answeredWithin(warmup) {
		stopRun()
		wg.Wait()
		return res, fmt.Errorf("the ping-pong pair got no answer within %v (pings sent %d, received by pong %d)", warmup, pp.sent.Load(), pp.got.Load())
	}
	// The measured run: d from here.
	ctx, cancel := context.WithTimeout(runCtx, d)
	defer cancel()
	cpu := startCPU(pid)
	start := time.Now()
	var delivered atomic.Int64
	for i, p := range ps {
		p.stream(ctx, &wg, bare+"/rcv-"+strconv.Itoa(i), window, t.Timeout, &delivered, &pp.errs)
	}
	stop := make(chan struct{})
	go tickProgress(stop, func() { progress(delivered.Load(), pp.errs.n.Load()) })
	<-ctx.Done()
	close(stop)
	res.Elapsed = time.Since(start)
	res.ServerCPU = cpu.used()
	res.Delivered = delivered.Load()
	res.Errors, res.FirstError = pp.errs.n.Load(), pp.errs.firstError()
	stopRun()
	closeClients(all)
	wg.Wait()
	res.RTTP50, res.RTTP99 = pp.rtt.percentile(50), pp.rtt.percentile(99)
	if res.Delivered == 0 && res.FirstError == "" {
		res.FirstError = fmt.Sprintf("no message delivered in %v", d)
	}
	return res, nil
}

// messagesLogin logs in the sender and receiver of each pair, then the
// ping-pong pair, each session with its own resource.
func messagesLogin(t Target, pairs int) ([]messagePair, *pingPong, error) {
	ps := make([]messagePair, pairs)
	for i := range ps {
		snd, err := login(t, "rfc6120", "snd-"+strconv.Itoa(i))
		if err != nil {
			return nil, nil, err
		}
		rcv, err := login(t, "rfc6120", "rcv-"+strconv.Itoa(i))
		if err != nil {
			return nil, nil, err
		}
		ps[i] = messagePair{snd, rcv}
	}
	ping, err := login(t, "rfc6120", "ping")
	if err != nil {
		return nil, nil, err
	}
	pong, err := login(t, "rfc6120", "pong")
	if err != nil {
		return nil, nil, err
	}
	return ps, &pingPong{ping: ping, pong: pong, first: make(chan struct{})}, nil
}

func closeClients(cls []*client) {
	for _, c := range cls {
		c.c.Close()
	}
}

// messagePair is a sender streaming chat messages to its receiver.
type messagePair struct{ snd, rcv *client }

// stream starts the receiver, counting messages into delivered as they
// arrive, and the sender, sending to the full JID to and keeping at most
// window messages in flight, and reading what comes back to it (a
// message there is a bounce, an error); all stop when ctx ends.
func (p messagePair) stream(ctx context.Context, wg *sync.WaitGroup, to string, window int, timeout time.Duration, delivered *atomic.Int64, errs *runErrors) {
	msg := []byte("<message type='chat' to='" + to + "'><body>load</body></message>")
	var got atomic.Int64
	wg.Add(3)
	go func() { // receiver: counts messages as they arrive
		defer wg.Done()
		errs.add(ctx, "receiver", countMessages(ctx, p.rcv, func() { got.Add(1); delivered.Add(1) }))
	}()
	go func() { // the sender's incoming side: bounces
		defer wg.Done()
		bounced := errors.New("a message came back to the sender (a bounce)")
		errs.add(ctx, "sender", countMessages(ctx, p.snd, func() { errs.add(ctx, "sender", bounced) }))
	}()
	go func() { // sender: keeps the window full
		defer wg.Done()
		var sent int64
		for ctx.Err() == nil {
			if sent-got.Load() >= int64(window) {
				time.Sleep(50 * time.Microsecond)
				continue
			}
			_ = p.snd.c.SetWriteDeadline(time.Now().Add(timeout))
			if _, err := p.snd.c.Write(msg); err != nil {
				errs.add(ctx, "sender", err)
				return
			}
			sent++
		}
	}()
}

// pingPong is the pair measuring the round trip: ping sends one message
// at a time to pong, which answers every message.
type pingPong struct {
	ping, pong *client
	rtt        latencies
	first      chan struct{} // closed at the first round trip
	firstOnce  sync.Once
	sent, got  atomic.Int64 // pings sent, and messages received by pong
	errs       runErrors    // of the whole run, the pairs' too
}

// start runs pong and ping until ctx ends.
func (pp *pingPong) start(ctx context.Context, wg *sync.WaitGroup, bare string) {
	wg.Add(2)
	echo := []byte("<message type='chat' to='" + bare + "/ping'><body>pong</body></message>")
	go func() { // pong: answers every message
		defer wg.Done()
		pp.errs.add(ctx, "pong", countMessages(ctx, pp.pong, func() {
			pp.got.Add(1)
			_ = pp.pong.c.SetWriteDeadline(time.Now().Add(pp.pong.to))
			_, _ = pp.pong.c.Write(echo)
		}))
	}()
	go func() {
		defer wg.Done()
		pp.measure(ctx, bare)
	}()
}

// measure is ping: one message at a time, timing the round trip.
func (pp *pingPong) measure(ctx context.Context, bare string) {
	msg := []byte("<message type='chat' to='" + bare + "/pong'><body>ping</body></message>")
	back := make(chan struct{}, 1)
	go func() { pp.errs.add(ctx, "ping", countMessages(ctx, pp.ping, func() { back <- struct{}{} })) }()
	for ctx.Err() == nil {
		t0 := time.Now()
		// Every write has its own deadline: the one left from the login
		// would end the measurement that long after the handshake.
		_ = pp.ping.c.SetWriteDeadline(t0.Add(pp.ping.to))
		if _, err := pp.ping.c.Write(msg); err != nil {
			pp.errs.add(ctx, "ping", err)
			return
		}
		pp.sent.Add(1)
		select {
		case <-back:
			pp.rtt.add(time.Since(t0))
			pp.firstOnce.Do(func() { close(pp.first) })
		case <-ctx.Done():
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// answeredWithin reports whether the first round trip completes within d.
func (pp *pingPong) answeredWithin(d time.Duration) bool {
	select {
	case <-pp.first:
		return true
	case <-time.After(d):
		return false
	}
}

// countMessages reads cl until ctx ends, calling f for every </message>;
// it returns the read error that ended it early (nil when ctx ended).
func countMessages(ctx context.Context, cl *client, f func()) error {
	const end = "</message>"
	buf := make([]byte, 32<<10)
	carry := 0 // bytes of a possible split marker kept at buf's start
	for ctx.Err() == nil {
		_ = cl.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := cl.c.Read(buf[carry:])
		data := buf[:carry+n]
		for i := bytes.Index(data, []byte(end)); i >= 0; i = bytes.Index(data, []byte(end)) {
			f()
			data = data[i+len(end):]
		}
		carry = copy(buf, data[max(0, len(data)-len(end)+1):])
		if err != nil && !isTimeout(err) {
			return err
		}
	}
	return nil
}

func isTimeout(err error) bool {
	type timeout interface{ Timeout() bool }
	t, ok := err.(timeout)
	return ok && t.Timeout()
}
