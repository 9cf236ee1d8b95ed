package batchq

import (
	"slices"
	"testing"
	"time"
)

// TestBatchesKeepOrderAndBounds: a closed queue is still drained, in the
// order of Put, in batches of at most BatchLen entries and BatchBytes of
// them, except that a batch's first entry is taken whatever its size.
func TestBatchesKeepOrderAndBounds(t *testing.T) {
	sizes := []int{4, 4, 4, 1, 1, 1, 1, 12, 1, 9, 2}
	q := New(Bounds{Len: 100, Bytes: 1000, BatchLen: 3, BatchBytes: 10}, func(i int) int { return sizes[i] })
	for i := range sizes {
		if !q.Put(i, nil) {
			t.Fatalf("Put %d refused on an open queue", i)
		}
	}
	q.Close()
	var got [][]int
	q.Run(func(b []int) { got = append(got, slices.Clone(b)) })
	want := [][]int{{0, 1}, {2, 3, 4}, {5, 6}, {7}, {8, 9}, {10}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	if q.Len() != 0 {
		t.Fatalf("%d entries left after Run", q.Len())
	}
}

// TestPutWaitsForRoomAndCloseReleases: a producer past Len waits until the
// taker makes room; after Close, Put runs first (the ID is handed out) but
// drops the entry, and a producer waiting for room returns.
func TestPutWaitsForRoomAndCloseReleases(t *testing.T) {
	q := New(Bounds{Len: 2, Bytes: 1000, BatchLen: 10, BatchBytes: 1000}, func(int) int { return 1 })
	q.Put(1, nil)
	q.Put(2, nil)
	put := make(chan bool)
	go func() { put <- q.Put(3, nil) }()
	select {
	case <-put:
		t.Fatal("a third entry was queued past Len")
	case <-time.After(100 * time.Millisecond):
	}
	taken := make(chan []int, 4)
	done := make(chan struct{})
	go func() { q.Run(func(b []int) { taken <- slices.Clone(b) }); close(done) }()
	if ok := <-put; !ok {
		t.Fatal("the waiting Put was refused once there was room")
	}
	if b := <-taken; !slices.Equal(b, []int{1, 2}) {
		t.Fatalf("first batch %v, want [1 2]", b)
	}
	if b := <-taken; !slices.Equal(b, []int{3}) {
		t.Fatalf("second batch %v, want [3]", b)
	}
	q.Close()
	<-done
	ran := false
	if q.Put(4, func(*int) { ran = true }) {
		t.Fatal("Put after Close queued its entry")
	}
	if !ran {
		t.Fatal("Put after Close did not run first")
	}
}
