package config

// Memory tunes the Go runtime's collector. An idle session's memory is
// mostly what its login left live (crypto/tls's buffers and keys, the
// session's structures); the collector lets the heap grow past what is
// live by GCPercent before it collects, and the process keeps those pages:
// at 10 000 idle sessions that headroom was a third of the resident
// memory (BENCHMARKS.md).
type Memory struct {
	// GCPercent is the collector's target, as GOGC: a collection starts
	// when the heap has grown this many percent past what was live after
	// the last one. Lower holds less memory for more collector CPU. The
	// GOGC environment variable, when set, wins.
	GCPercent int `toml:"gc_percent"`
	// Limit is a soft limit on the process's memory in bytes, as
	// GOMEMLIMIT: near it the collector runs more often, whatever
	// GCPercent says (0: none). The GOMEMLIMIT environment variable, when
	// set, wins.
	Limit int64 `toml:"limit"`
	// MinHeadroom is a floor under GCPercent's headroom, in bytes: the
	// heap may always grow this much past what is live before a
	// collection (0: GCPercent alone). On a server holding few sessions
	// GCPercent of its few megabytes is a collection every few dozen
	// logins; with many sessions GCPercent is above the floor and the
	// floor changes nothing. GOGC in the environment turns it off with
	// GCPercent.
	MinHeadroom int64 `toml:"min_headroom"`
}

// validateMemory checks the [memory] table.
func (c *Config) validateMemory(bad badFunc) {
	if p := c.Memory.GCPercent; p < 10 || p > 1000 {
		bad("memory.gc_percent", "must be between 10 and 1000 (the runtime's own default is 100)")
	}
	if l := c.Memory.Limit; l != 0 && l < 64<<20 {
		bad("memory.limit", "must be 0 (none) or at least 67108864 (64 MiB): a lower one makes the collector run without pause")
	}
	if h := c.Memory.MinHeadroom; h < 0 || h > 1<<30 {
		bad("memory.min_headroom", "must be between 0 (none) and 1073741824 (1 GiB)")
	}
}
