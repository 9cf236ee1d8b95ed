package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Options configure a Recorder.
type Options struct {
	// Keep is how many ended connections stay in memory; 0 turns
	// transcripts off (Start returns nil).
	Keep int
	// Dir, when set, receives one JSON-lines file per ended connection.
	Dir string
	// MaxBytes bounds the data one transcript keeps (0: no bound).
	MaxBytes int
	// FallbackWindow is how long after a refused STARTTLS a plaintext
	// connection from the same address counts as a fallback (0: 2 minutes).
	FallbackWindow time.Duration
}

// Recorder holds the transcripts of live connections and of the last Keep
// ended ones.
type Recorder struct {
	opt Options
	log zerolog.Logger

	mu     sync.Mutex
	live   map[string]*Transcript
	recent []*Transcript // ended, oldest first, at most opt.Keep

	// rmu guards refusals only; it is taken under a Transcript's lock, so
	// nothing holding it may take one.
	rmu      sync.Mutex
	refusals map[string]time.Time // IP → last STARTTLS refusal
}

// NewRecorder returns a recorder, or nil when transcripts are off.
func NewRecorder(opt Options, log zerolog.Logger) (*Recorder, error) {
	if opt.Keep <= 0 {
		return nil, nil
	}
	if opt.FallbackWindow == 0 {
		opt.FallbackWindow = 2 * time.Minute
	}
	if opt.Dir != "" {
		if err := os.MkdirAll(opt.Dir, 0o750); err != nil {
			return nil, fmt.Errorf("transcript directory: %w", err)
		}
	}
	return &Recorder{opt: opt, log: log, live: map[string]*Transcript{}, refusals: map[string]time.Time{}}, nil
}

// Start opens the transcript of a new connection. A nil Recorder returns a nil
// Transcript, whose methods must not be called: callers check.
func (b *Recorder) Start(id, listener, remote, ip string) *Transcript {
	if b == nil {
		return nil
	}
	// Room for a whole login's records and bytes from the start: one
	// allocation each instead of a series of growths.
	t := &Transcript{rec: b, ip: ip, phase: PhasePlaintext, maxBytes: b.opt.MaxBytes,
		records: make([]entry, 0, 32), arena: make([]byte, 0, 4096)}
	t.sum = Summary{ID: id, Listener: listener, Remote: remote, Started: time.Now(), Live: true, SelectedBy: ByListener, TLS: "none", ClientCert: "none"}
	t.add(Record{Dir: DirEvent, Data: "connected from " + remote + " on the " + listener + " listener"})
	b.mu.Lock()
	b.live[id] = t
	b.mu.Unlock()
	return t
}

// ended moves t from the live set to the recent ones and writes its file.
func (b *Recorder) ended(t *Transcript) {
	id := t.sum.ID // set at Start, never written again
	b.mu.Lock()
	delete(b.live, id)
	b.recent = append(b.recent, t)
	if over := len(b.recent) - b.opt.Keep; over > 0 {
		clear(b.recent[:over])
		b.recent = b.recent[over:]
	}
	b.mu.Unlock()
	if b.opt.Dir != "" {
		name := filepath.Join(b.opt.Dir, fmt.Sprintf("%s-%s.jsonl", t.Summary().Started.UTC().Format("20060102T150405.000Z"), id))
		if err := os.WriteFile(name, t.MarshalJSONL(), 0o640); err != nil {
			b.log.Error().Err(err).Str("file", name).Msg("writing a transcript failed")
		}
	}
}

// List returns the summaries of the live connections and then the recent
// ones, newest first in each group.
func (b *Recorder) List() []Summary {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	live := make([]*Transcript, 0, len(b.live))
	for _, t := range b.live {
		live = append(live, t)
	}
	recent := slices.Clone(b.recent)
	b.mu.Unlock()
	var out []Summary
	ls := make([]Summary, 0, len(live))
	for _, t := range live {
		ls = append(ls, t.Summary())
	}
	slices.SortFunc(ls, func(a, c Summary) int { return c.Started.Compare(a.Started) })
	out = append(out, ls...)
	for i := len(recent) - 1; i >= 0; i-- {
		out = append(out, recent[i].Summary())
	}
	return out
}

// Get returns the transcript of a live or recent connection.
func (b *Recorder) Get(id string) (*Transcript, bool) {
	if b == nil {
		return nil, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if t, ok := b.live[id]; ok {
		return t, true
	}
	for _, t := range b.recent {
		if t.sum.ID == id { // ID never changes after Start
			return t, true
		}
	}
	return nil, false
}

// refused notes a STARTTLS refusal to ip.
func (b *Recorder) refused(ip string) {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	now := time.Now()
	b.refusals[ip] = now
	if len(b.refusals) > 4096 { // forget the stale ones; the map stays small
		for k, at := range b.refusals {
			if now.Sub(at) > b.opt.FallbackWindow {
				delete(b.refusals, k)
			}
		}
	}
}

// refusedRecently reports whether ip was refused STARTTLS within the
// fallback window.
func (b *Recorder) refusedRecently(ip string) bool {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	at, ok := b.refusals[ip]
	return ok && time.Since(at) <= b.opt.FallbackWindow
}
