package listener

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
	"time"
)

// IDs names a listener's connections: a prefix, the process's start time
// (seconds, base 36), three random bytes and a counter — ctpnt7i3f2a9c-17. The
// start time keeps ids unique across restarts, the random part across
// servers started in the same second (jabberd lab run starts them side by
// side), so that transcript files and a harness that kept an id never meet
// a second connection of the same name.
type IDs struct {
	prefix string
	n      atomic.Uint64
}

// NewIDs returns the namer of connections whose ids start with prefix.
func NewIDs(prefix string) *IDs {
	var r [3]byte
	_, _ = rand.Read(r[:])
	return &IDs{prefix: prefix + strconv.FormatInt(time.Now().Unix(), 36) + hex.EncodeToString(r[:]) + "-"}
}

// Next returns a fresh id. Safe from any goroutine.
func (g *IDs) Next() string { return g.prefix + strconv.FormatUint(g.n.Add(1), 10) }
