package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// LoginResult is what the login and tlsraw scenarios measure.
type LoginResult struct {
	Name       string
	Done       int64
	Errors     int64
	FirstError string
	Elapsed    time.Duration
	P50, P99   time.Duration
	ServerCPU  time.Duration // -1 when unknown
}

// Rate is completed operations per second.
func (r LoginResult) Rate() float64 { return float64(r.Done) / r.Elapsed.Seconds() }

// CPUPer is the server CPU per operation, or -1.
func (r LoginResult) CPUPer() time.Duration {
	if r.ServerCPU < 0 || r.Done == 0 {
		return -1
	}
	return r.ServerCPU / time.Duration(r.Done)
}

// Login runs concurrency workers looping full logins for d. With
// t.Accounts set, the logins go to the accounts in turn (see
// Target.Accounts), so that the server looks up a different account each
// time, as it does for real users.
func Login(ctx context.Context, t Target, flow string, concurrency int, d time.Duration, pid int, progress func(done, errs int64)) LoginResult {
	var next atomic.Int64
	return loop(ctx, "login "+flow, concurrency, d, pid, progress, func(worker, i int) error {
		a := t.account()
		if t.Accounts > 0 {
			a.user = t.accountName(int(next.Add(1)-1) % t.Accounts)
		}
		cl, err := loginAs(t, a, flow, "bench-"+strconv.Itoa(worker)+"-"+strconv.Itoa(i), 0)
		if err != nil {
			return err
		}
		cl.close()
		return nil
	})
}

// loop runs op in concurrency workers for d, timing each call.
func loop(ctx context.Context, name string, concurrency int, d time.Duration, pid int, progress func(done, errs int64), op func(worker, i int) error) LoginResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var done, errs atomic.Int64
	var firstErr atomic.Value
	lat := &latencies{}
	cpu := startCPU(pid)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				t0 := time.Now()
				if err := op(w, i); err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat.add(time.Since(t0))
				done.Add(1)
			}
		}(w)
	}
	stop := make(chan struct{})
	if progress != nil {
		go func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
					progress(done.Load(), errs.Load())
				case <-stop:
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	r := LoginResult{Name: name, Done: done.Load(), Errors: errs.Load(), Elapsed: time.Since(start),
		P50: lat.percentile(50), P99: lat.percentile(99), ServerCPU: cpu.used()}
	if v := firstErr.Load(); v != nil {
		r.FirstError = fmt.Sprint(v)
	}
	return r
}
