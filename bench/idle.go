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
	select {
	case <-time.After(hold):
	case <-ctx.Done():
	}
	if pid > 0 {
		if v, err := procRSS(pid); err == nil {
			res.RSSAfter = v
		}
	}
	res.Opened, res.Errors = opened.Load(), errs.Load()
	if v := firstErr.Load(); v != nil {
		res.FirstError = fmt.Sprint(v)
	}
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
