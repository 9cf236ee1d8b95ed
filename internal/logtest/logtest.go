// Package logtest is for tests: it collects what a server under test (or a
// client process) writes, lets a test wait for content as it is written
// rather than on a clock, and reads zerolog's JSON lines as entries. The
// server, IRC and interop tests share it.
package logtest

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer collects bytes from a writer goroutine and announces each write.
type Buffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

// New returns an empty buffer.
func New() *Buffer { return &Buffer{changed: make(chan struct{})} }

// Write implements io.Writer and wakes the waiters.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return len(p), nil
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Snapshot returns the content so far and a channel closed by the next
// write.
func (b *Buffer) Snapshot() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String(), b.changed
}

// WaitFor waits until ok accepts the content or timeout passes; it reports
// whether ok accepted.
func (b *Buffer) WaitFor(timeout time.Duration, ok func(string) bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s, changed := b.Snapshot()
		if ok(s) {
			return true
		}
		select {
		case <-changed:
		case <-timer.C:
			s, _ := b.Snapshot()
			return ok(s)
		}
	}
}

// Entries parses the JSON lines written so far.
func (b *Buffer) Entries(t testing.TB) []Entry {
	t.Helper()
	return Parse(t, b.String())
}

// Select returns the entries written so far that match.
func (b *Buffer) Select(t testing.TB, match func(Entry) bool) []Entry {
	t.Helper()
	var out []Entry
	for _, e := range b.Entries(t) {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

// WaitN waits until n entries match and returns them; after timeout the
// test fails, naming what it waited for (what) and showing the log.
func (b *Buffer) WaitN(t testing.TB, timeout time.Duration, n int, what string, match func(Entry) bool) []Entry {
	t.Helper()
	var got []Entry
	if !b.WaitFor(timeout, func(text string) bool {
		got = got[:0]
		for _, e := range Parse(t, text) {
			if match(e) {
				got = append(got, e)
			}
		}
		return len(got) >= n
	}) {
		t.Fatalf("log: waited %v for %d entries %s, have %d; log:\n%s", timeout, n, what, len(got), b.String())
	}
	return got
}

// Parse reads JSON lines; a line that is not JSON fails the test.
func Parse(t testing.TB, text string) []Entry {
	t.Helper()
	var out []Entry
	for line := range strings.Lines(text) {
		var e Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line is not JSON: %v: %q", err, line)
		}
		out = append(out, e)
	}
	return out
}

// Entry is one JSON log line.
type Entry map[string]any

// Str returns a string field, or "".
func (e Entry) Str(k string) string {
	s, _ := e[k].(string)
	return s
}

// Num returns a number field and whether it is one.
func (e Entry) Num(k string) (float64, bool) {
	v, ok := e[k].(float64)
	return v, ok
}

// Strs returns a field holding strings (zerolog's Strs), or nothing.
func (e Entry) Strs(k string) []string {
	raw, _ := e[k].([]any)
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// Has reports whether every key has this string value.
func (e Entry) Has(fields map[string]string) bool {
	for k, v := range fields {
		if e.Str(k) != v {
			return false
		}
	}
	return true
}

func (e Entry) String() string {
	b, _ := json.Marshal(map[string]any(e))
	return string(b)
}
