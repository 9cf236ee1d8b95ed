package irc

import (
	"testing"
	"time"
)

func TestTokenBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := newTokenBucket(3, 2, t0)
	for i := range 3 {
		if !b.take(t0) {
			t.Fatalf("line %d of the burst refused", i+1)
		}
	}
	if b.take(t0) {
		t.Fatalf("a fourth line at once was allowed")
	}
	if !b.take(t0.Add(500 * time.Millisecond)) {
		t.Fatalf("half a second later (rate 2/s) one more line must be allowed")
	}
	if b.take(t0.Add(600 * time.Millisecond)) {
		t.Fatalf("0.1 s after that no token has grown back")
	}
	// A long silence refills to the burst, not beyond.
	later := t0.Add(time.Hour)
	for i := range 3 {
		if !b.take(later) {
			t.Fatalf("after a pause, line %d refused", i+1)
		}
	}
	if b.take(later) {
		t.Fatalf("the bucket grew past its burst")
	}
	var off *tokenBucket = newTokenBucket(0, 5, t0)
	for range 1000 {
		if !off.take(t0) {
			t.Fatalf("flood_burst = 0 must turn the limit off")
		}
	}
}
