// Package gcfloor gives the Go collector's headroom a floor in bytes.
//
// The runtime's target (GOGC, memory.gc_percent) lets the heap grow a
// percentage of what is live before the next collection. That suits a
// server holding many sessions, where the percentage is what an idle
// session pays in memory; it does not suit a server holding few, where
// the live heap is a few megabytes, a percentage of it is a few hundred
// kilobytes, and every few dozen logins pay a whole collection (its mark
// workers, the stack scans, the sweep: a sixth of a login's CPU measured
// on an empty server, BENCHMARKS.md). A floor of a few megabytes of
// headroom removes most of those collections where memory is cheap to
// give, and changes nothing once the percentage of the live heap is above
// it: the memory of many idle sessions is the same with it and without.
//
// The runtime has no such setting, so after each collection the pacer
// reads what the collection left live and sets the percentage that gives
// at least the floor. A memory limit (GOMEMLIMIT, memory.limit) still
// bounds the heap whatever the percentage.
package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// runtimeHeapMinimum is the runtime's smallest heap goal at GOGC=100
// (runtime.defaultHeapMinimum); the runtime scales it with the percentage,
// so that on a heap of a few megabytes a high percentage would make it,
// not the live heap, set the goal.
const runtimeHeapMinimum = 4 << 20

// Pacer keeps the collector's headroom at no less than a floor.
type Pacer struct {
	mu      sync.Mutex
	percent int   // the configured target, as GOGC
	floor   int64 // bytes of headroom at least; 0: the percentage alone
	current int   // what the pacer last gave the runtime
	stopped bool
	samples [3]metrics.Sample
}

// Start sets the runtime's target to percent and keeps its headroom at no
// less than floor bytes from the next collection on.
func Start(percent int, floor int64) *Pacer {
	p := &Pacer{samples: [3]metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
	}}
	p.Set(percent, floor)
	p.arm()
	return p
}

// Set changes the target and the floor (a reload); the floor applies from
// the next collection on.
func (p *Pacer) Set(percent int, floor int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.percent, p.floor = percent, floor
	p.apply(percent)
}

// Stop leaves the runtime at the configured percentage and stops following
// collections.
func (p *Pacer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	p.apply(p.percent)
}

// Current is the percentage the pacer last gave the runtime.
func (p *Pacer) Current() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.current
}

// sentinel is what a collection finds unreachable, so that its cleanup
// runs once per cycle. It holds a pointer so that it is not a tiny
// allocation, which would share a block with others and outlive cycles.
type sentinel struct {
	_ *byte
	_ [8]byte
}

// arm allocates a sentinel whose cleanup runs after the next collection.
func (p *Pacer) arm() {
	runtime.AddCleanup(new(sentinel), (*Pacer).collected, p)
}

// collected follows one collection: it sets the percentage for the next
// and arms again.
func (p *Pacer) collected() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.apply(p.wanted())
	p.arm()
}

// wanted is the percentage that gives the configured one or the floor,
// whichever is more headroom. The runtime applies the percentage to the
// live heap plus the stacks and globals it scans, so the floor does too.
func (p *Pacer) wanted() int {
	if p.floor <= 0 {
		return p.percent
	}
	metrics.Read(p.samples[:])
	var scanned [len(p.samples)]float64
	for i, s := range p.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			scanned[i] = float64(s.Value.Uint64())
		}
	}
	live, roots := scanned[0], scanned[0]+scanned[1]+scanned[2]
	if roots == 0 {
		return p.percent
	}
	floor := float64(p.floor)
	need := floor * 100 / roots
	// The runtime's minimum goal, scaled by the same percentage, stays
	// within live + floor too.
	need = min(need, (live+floor)*100/runtimeHeapMinimum)
	return max(int(need), p.percent)
}

// apply gives the runtime want unless it is within a twentieth of what it
// has: every collection moves the live heap a little, and setting the
// target recomputes the runtime's pacing under the heap lock.
func (p *Pacer) apply(want int) {
	if cur := p.current; cur != 0 && want != p.percent && cur != p.percent && abs(want-cur)*20 < cur {
		return
	}
	if want != p.current {
		debug.SetGCPercent(want)
		p.current = want
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
