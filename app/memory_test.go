package app_test

import (
	"os"
	"runtime/debug"
	"slices"
	"testing"

	"jabberd/config"
	"jabberd/internal/testserver"
)

// TestReloadAppliesMemory: memory.gc_percent, min_headroom and limit are
// reloadable, and a reload of a setup that owns the process's runtime
// (Setup.Memory, as the binary sets it) puts them in force.
func TestReloadAppliesMemory(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: the environment wins over [memory]")
	}
	oldPercent, oldLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })
	srv := testserver.Start(t, testserver.Options{})
	set := srv.Set
	set.Memory = true
	c := *srv.Cfg
	c.Memory = config.Memory{GCPercent: 70, Limit: 3 << 30, MinHeadroom: 0}
	rep, err := set.Reload(&c)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"memory.gc_percent", "memory.limit", "memory.min_headroom"} {
		if !slices.Contains(rep.Applied, k) {
			t.Errorf("reload report %+v does not apply %s", rep, k)
		}
	}
	if len(rep.Restart) != 0 {
		t.Errorf("reload report %+v, want nothing waiting for a restart", rep)
	}
	if p := debug.SetGCPercent(100); p != 70 {
		t.Errorf("gc percent after the reload = %d, want 70", p)
	}
	if l := debug.SetMemoryLimit(-1); l != 3<<30 {
		t.Errorf("memory limit after the reload = %d, want %d", l, int64(3<<30))
	}
}
