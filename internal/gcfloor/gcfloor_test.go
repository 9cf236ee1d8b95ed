package gcfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// keep is written so that the allocations of churn are not optimized away.
var keep []byte

// churn allocates n bytes in 4 KiB pieces, none kept, and returns how many
// collections ran meanwhile.
func churn(n int) uint64 {
	before := cycles()
	for i := 0; i < n/4096; i++ {
		keep = make([]byte, 4096)
	}
	return cycles() - before
}

func cycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// gogc is the percentage the runtime runs with, read without changing it.
func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// waitFor runs collections until ok holds (the pacer follows a collection
// in a cleanup, which runs shortly after it) or fails after 5 s.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %s (gogc %d)", what, gogc())
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFloorMeansFewerCollections: with a 64 MiB floor, allocating 512 MiB
// of garbage on a heap of a few megabytes takes a handful of collections;
// at the percentage alone it takes well over a hundred. Then the floor set
// to 0 gives the runtime the percentage again.
func TestFloorMeansFewerCollections(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set")
	}
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })

	p := Start(50, 64<<20)
	t.Cleanup(p.Stop)
	waitFor(t, "the floor's percentage in force", func() bool { return gogc() > 1000 })
	if got := uint64(p.Current()); got != gogc() {
		t.Errorf("Current() = %d, the runtime runs with %d", got, gogc())
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	if live, goal := s[0].Value.Uint64(), s[1].Value.Uint64(); goal < 64<<20 || goal > live+68<<20 {
		t.Errorf("heap goal %d with %d live: want the live heap plus about the 64 MiB floor", goal, live)
	}
	withFloor := churn(512 << 20)

	p.Set(50, 0)
	if gogc() != 50 {
		t.Fatalf("after Set(50, 0) the runtime runs with gogc %d, want 50", gogc())
	}
	without := churn(512 << 20)
	t.Logf("collections for 512 MiB of garbage: %d with a 64 MiB floor, %d at 50 %% alone", withFloor, without)
	if withFloor > 16 || without < 4*withFloor {
		t.Errorf("collections with the floor %d, without %d: want at most 16 with it and at least 4 times as many without", withFloor, without)
	}
}

// TestStopLeavesThePercentage: after Stop, the configured percentage is in
// force and stays so across collections.
func TestStopLeavesThePercentage(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set")
	}
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	p := Start(70, 256<<20)
	waitFor(t, "the floor's percentage in force", func() bool { return gogc() > 70 })
	p.Stop()
	for range 3 {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if g := gogc(); g != 70 {
		t.Errorf("gogc after Stop and three collections = %d, want 70", g)
	}
}
