package listener

import (
	"strconv"
	"sync/atomic"
	"time"
)

// IDs names a listener's connections: a prefix, the process's start time
// (seconds, base 36) and a counter — c1mxk9q2-17. The start time keeps ids
// unique across restarts, so that transcript files and a harness that kept
// an id never meet a second connection of the same name.
type IDs struct {
	prefix string
	n      atomic.Uint64
}

// NewIDs returns the namer of connections whose ids start with prefix.
func NewIDs(prefix string) *IDs {
	return &IDs{prefix: prefix + strconv.FormatInt(time.Now().Unix(), 36) + "-"}
}

// Next returns a fresh id. Safe from any goroutine.
func (g *IDs) Next() string { return g.prefix + strconv.FormatUint(g.n.Add(1), 10) }
