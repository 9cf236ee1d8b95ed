package irc_test

import (
	"io"
	"slices"
	"testing"

	"jabberd/config"
)

// TestIRCTotalConnectionLimit: over limits.max_connections the IRC
// listener refuses with an ERROR line saying so, as for the per-IP limit.
func TestIRCTotalConnectionLimit(t *testing.T) {
	h := start(t, func(cfg *config.Config) {
		cfg.Limits.MaxConns = 1
		cfg.Limits.MaxConnsPerIP = 0
	}, nil)
	first := h.dial(t)
	second := h.dial(t)
	got, err := second.readUntilClosed()
	if err != io.EOF || !slices.Equal(got, []string{"ERROR :Closing link: 127.0.0.1 (The server has too many connections (limit 1))"}) {
		t.Errorf("got %q then %v", got, err)
	}
	first.register("first")
}
