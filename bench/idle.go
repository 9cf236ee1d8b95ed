package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// IdleResult is what the idle scenario measures.
type IdleResult struct {
	Opened, Errors int64
	FirstError     string
	RSSBefore      int64 // bytes; -1 without a pid
	RSSAfter       int64
	Elapsed        time.Duration
	// Keepalives are the whitespace keepalives sent during the hold and
	// how many of them failed; Alive the sessions that answered a disco
	// query after the memory was read, Lost the ones that did not.
	Keepalives, KeepaliveErrors int64
	Alive, Lost                 int64
	FirstLost                   string
}

// PerSession is the server memory each open session costs.
func (r IdleResult) PerSession() int64 {
	if r.RSSBefore < 0 || r.Opened == 0 {
		return -1
	}
	return (r.RSSAfter - r.RSSBefore) / r.Opened
}

// IdleOptions say how the idle sessions log in.
type IdleOptions struct {
	// Register gives every session an account of its own, PREFIXi with
	// the target's password, made by XEP-0077 in-band registration on
	// the session's own stream (the server needs
	// auth.in_band_registration = true). Without it every session is a
	// resource of the target's one account, and each initial presence
	// goes to every other resource: opening n sessions then costs O(n²)
	// deliveries, which is not what an idle server costs.
	Register bool
	Prefix   string // "idle" when empty
	// Keepalive, when set, has every session send a whitespace keepalive
	// (RFC 6120 §4.6.1) this often during the hold, the sessions in turn
	// so that the keepalives are spread evenly, as many clients do.
	Keepalive time.Duration
}

// Idle opens n sessions (login, bind, initial presence), holds them while
// reading the server's memory, then closes them.
func Idle(ctx context.Context, t Target, n, concurrency int, hold time.Duration, pid int, progress func(done, errs int64)) IdleResult {
	return IdleWith(ctx, t, IdleOptions{}, n, concurrency, hold, pid, progress)
}

// IdleWith is Idle with options.
func IdleWith(ctx context.Context, t Target, opt IdleOptions, n, concurrency int, hold time.Duration, pid int, progress func(done, errs int64)) IdleResult {
	if opt.Prefix == "" {
		opt.Prefix = "idle"
	}
	if progress == nil {
		progress = func(int64, int64) {} // opening takes over a second at scale
	}
	res := IdleResult{RSSBefore: -1, RSSAfter: -1}
	if pid > 0 {
		if v, err := procRSS(pid); err == nil {
			res.RSSBefore = v
		}
	}
	start := time.Now()
	clients := make([]*client, n)
	var opened, errs atomic.Int64
	var firstErr atomic.Value
	next := atomic.Int64{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go tickProgress(stop, func() { progress(opened.Load(), errs.Load()) })
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				a := t.account()
				if opt.Register {
					a = account{user: opt.Prefix + strconv.Itoa(i), password: t.Password, register: true}
				}
				cl, err := loginAs(t, a, "rfc6120", "idle-"+strconv.Itoa(i), i)
				if err == nil {
					err = cl.send("<presence/>")
				}
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				clients[i] = cl
				opened.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	res.Elapsed = time.Since(start)
	// Let the server settle (initial presence, GC) before reading memory.
	holdCtx, cancel := context.WithTimeout(ctx, hold)
	res.Keepalives, res.KeepaliveErrors = keepalives(holdCtx, clients, opt.Keepalive)
	<-holdCtx.Done()
	cancel()
	if pid > 0 {
		if v, err := procRSS(pid); err == nil {
			res.RSSAfter = v
		}
	}
	res.Opened, res.Errors = opened.Load(), errs.Load()
	if v := firstErr.Load(); v != nil {
		res.FirstError = fmt.Sprint(v)
	}
	res.Alive, res.Lost, res.FirstLost = stillAlive(ctx, t, clients, concurrency)
	for _, cl := range clients {
		if cl != nil {
			cl.c.Close()
		}
	}
	return res
}

func tickProgress(stop chan struct{}, f func()) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			f()
		case <-stop:
			return
		}
	}
}

// keepalives sends each open session a single space every interval until
// ctx ends, the sessions one after the other, evenly spread over the
// interval (caught up every 10 ms, so that a slow write does not lower the
// rate), and counts what it sent and what failed. No interval: none.
func keepalives(ctx context.Context, clients []*client, interval time.Duration) (sent, failed int64) {
	var open []*client
	for _, cl := range clients {
		if cl != nil {
			open = append(open, cl)
		}
	}
	if interval <= 0 || len(open) == 0 {
		return 0, 0
	}
	step := min(max(interval/time.Duration(len(open)), time.Microsecond), 10*time.Millisecond)
	tick := time.NewTicker(step)
	defer tick.Stop()
	start := time.Now()
	for {
		select {
		case <-ctx.Done():
			return sent, failed
		case <-tick.C:
		}
		due := int64(time.Since(start) * time.Duration(len(open)) / interval)
		for ; sent < due && ctx.Err() == nil; sent++ {
			if open[sent%int64(len(open))].send(" ") != nil {
				failed++
			}
		}
	}
}

// stillAlive asks every open session for the server's disco#info and
// counts the sessions that answered: a server that dropped a session while
// it was idle (or sent whitespace) is found out here.
func stillAlive(ctx context.Context, t Target, clients []*client, concurrency int) (alive, lost int64, first string) {
	var next, na, nl atomic.Int64
	var firstLost atomic.Value
	query := "<iq type='get' id='alive' to='" + t.Domain + "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
	var wg sync.WaitGroup
	for range max(concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(clients) {
					return
				}
				if clients[i] == nil {
					continue
				}
				if err := clients[i].exchange(query, "</iq>"); err != nil {
					nl.Add(1)
					firstLost.CompareAndSwap(nil, err.Error())
					continue
				}
				na.Add(1)
			}
		}()
	}
	wg.Wait()
	if v := firstLost.Load(); v != nil {
		first = fmt.Sprint(v)
	}
	return na.Load(), nl.Load(), first
}
