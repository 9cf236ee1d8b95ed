package app

import (
	"os"
	"runtime/debug"

	"github.com/rs/zerolog"

	"jabberd/config"
)

// ApplyMemory sets the runtime's collector target and soft memory limit
// from [memory], each unless its environment variable (GOGC, GOMEMLIMIT)
// is set: the operator's explicit choice for this process wins. The binary
// calls it at start-up, and Reload with the new values (both apply live).
func ApplyMemory(m config.Memory, log zerolog.Logger) {
	ev := log.Info()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(m.GCPercent)
		ev = ev.Int("gc_percent", m.GCPercent)
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
