package config

import (
	"strings"
	"testing"
)

// TestMemoryValues: [memory] is checked like every table: a collector
// target out of range, a limit too low to run with or a floor out of
// range names its key; the floor's default is 16 MiB.
func TestMemoryValues(t *testing.T) {
	for _, tc := range []struct{ name, toml, want string }{
		{"target too low", "[memory]\ngc_percent = 5\n", "memory.gc_percent: must be between 10 and 1000"},
		{"target too high", "[memory]\ngc_percent = 5000\n", "memory.gc_percent: must be between 10 and 1000"},
		{"limit too low", "[memory]\nlimit = 1048576\n", "memory.limit: must be 0 (none) or at least 67108864"},
		{"negative floor", "[memory]\nmin_headroom = -1\n", "memory.min_headroom: must be between 0"},
		{"floor too high", "[memory]\nmin_headroom = 2147483648\n", "memory.min_headroom: must be between 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.toml), "test.toml"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	c, err := Parse([]byte("[memory]\ngc_percent = 80\nlimit = 1073741824\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Memory != (Memory{GCPercent: 80, Limit: 1 << 30, MinHeadroom: 16 << 20}) {
		t.Errorf("memory = %+v", c.Memory)
	}
}
