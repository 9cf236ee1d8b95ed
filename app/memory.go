package app

import (
	"os"
	"runtime/debug"
	"sync"

	"github.com/rs/zerolog"

	"jabberd/config"
	"jabberd/internal/gcfloor"
)

// pacer is the process's collector pacer (gcfloor): one runtime, one
// pacer, made by the first ApplyMemory and changed by the later ones.
var pacer struct {
	sync.Mutex
	p *gcfloor.Pacer
}

// ApplyMemory sets the runtime's collector target, the floor under its
// headroom and its soft memory limit from [memory], each unless its
// environment variable (GOGC, GOMEMLIMIT) is set: the operator's explicit
// choice for this process wins, and GOGC takes the floor with it. The
// binary calls it at start-up, and Reload with the new values (all apply
// live).
func ApplyMemory(m config.Memory, log zerolog.Logger) {
	ev := log.Info()
	if os.Getenv("GOGC") == "" {
		pacer.Lock()
		if pacer.p == nil {
			pacer.p = gcfloor.Start(m.GCPercent, m.MinHeadroom)
		} else {
			pacer.p.Set(m.GCPercent, m.MinHeadroom)
		}
		pacer.Unlock()
		ev = ev.Int("gc_percent", m.GCPercent).Int64("min_headroom", m.MinHeadroom)
	} else {
		ev = ev.Str("gc_percent", "GOGC="+os.Getenv("GOGC"))
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit := m.Limit
		if limit == 0 {
			limit = noLimit
		}
		debug.SetMemoryLimit(limit)
		ev = ev.Int64("limit", m.Limit)
	} else {
		ev = ev.Str("limit", "GOMEMLIMIT="+os.Getenv("GOMEMLIMIT"))
	}
	ev.Msg("memory settings applied")
}

// noLimit is the runtime's "no memory limit" (math.MaxInt64).
const noLimit = 1<<63 - 1
