package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// MakeAccounts makes sure the t.Accounts accounts of the login scenario
// exist: each is asked for by XEP-0077 in-band registration on a stream
// of its own and then logged in (an account an earlier run made answers
// "conflict" and logs in all the same). It is a setup step, not measured;
// the server needs auth.in_band_registration = true (or the accounts made
// beforehand with `jabberd users add`, which registration then finds
// taken). Each account has logged in once afterwards, so that the server's
// password cache holds it, as it would for users who log in every day.
func MakeAccounts(ctx context.Context, t Target, concurrency int, progress func(done, errs int64)) error {
	var next, done, errs atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := int(next.Add(1) - 1)
				if n >= t.Accounts {
					return
				}
				a := account{user: t.accountName(n), password: t.Password, register: true}
				cl, err := loginAs(t, a, "rfc6120", "setup", n)
				if err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err)
					continue
				}
				cl.close()
				if d := done.Add(1); progress != nil && d%100 == 0 {
					progress(d, errs.Load())
				}
			}
		}()
	}
	wg.Wait()
	if progress != nil {
		progress(done.Load(), errs.Load())
	}
	if err, _ := first.Load().(error); err != nil {
		return fmt.Errorf("making %d accounts: %d failed, the first: %w", t.Accounts, errs.Load(), err)
	}
	return ctx.Err()
}
