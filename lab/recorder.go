package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	// FallbackWindow is how long after a refused STARTTLS or a failed
	// handshake a plaintext connection of the same client (same
	// per-profile port or label, same address) counts as its fallback (0:
	// DefaultFallbackWindow).
	FallbackWindow time.Duration
	// Label marks every connection of this recorder (a `lab run`), for
	// the filters and the correlation.
	Label string
	// Verdict, when set, is told every ended connection's profile ("" for
	// the standard behaviour) and final verdict (the server's /metrics).
	Verdict func(profile, verdict string)
}

// DefaultFallbackWindow is the fallback correlation's window when none is
// configured.
const DefaultFallbackWindow = time.Minute

// Origin is where a connection comes from and what it reached.
type Origin struct {
	ID       string
	Listener string // "xmpp", "xmpp-direct", "irc", "irc-tls"
	Local    string // the listener's address
	Remote   string
	IP       string
	// Dedicated: the listener serves one profile (a per-profile port or a
	// listener configured with a profile): its connections are one
	// client's tries, and may be correlated.
	Dedicated bool
	// CorrelateAs, when set, is the address whose connections this one is
	// correlated with instead of Local (the TLS port an IRC sts policy
	// points at belongs with the plaintext port that advertised it).
	CorrelateAs string
}

// correlation is the address the connection is correlated by.
func (o Origin) correlation() string {
	if o.CorrelateAs != "" {
		return o.CorrelateAs
	}
	return o.Local
}

// failureNote is a refusal or a failed handshake a later connection may be
// the fallback from.
type failureNote struct {
	id, what string
	at       time.Time
	started  time.Time // when the failed connection began
}

// Recorder holds the transcripts of live connections and of the last Keep
// ended ones.
type Recorder struct {
	opt Options
	log zerolog.Logger

	mu     sync.Mutex
	live   map[string]*Transcript
	recent []*Transcript // ended, oldest first, at most opt.Keep

	// rmu guards failures only; it is taken under a Transcript's lock, so
	// nothing holding it may take one.
	rmu      sync.Mutex
	failures map[string]failureNote // correlation key → the latest
}

// NewRecorder returns a recorder, or nil when transcripts are off.
func NewRecorder(opt Options, log zerolog.Logger) (*Recorder, error) {
	if opt.Keep <= 0 {
		return nil, nil
	}
	if opt.FallbackWindow == 0 {
		opt.FallbackWindow = DefaultFallbackWindow
	}
	if opt.Dir != "" {
		if err := os.MkdirAll(opt.Dir, 0o750); err != nil {
			return nil, fmt.Errorf("transcript directory: %w", err)
		}
	}
	return &Recorder{opt: opt, log: log, live: map[string]*Transcript{}, failures: map[string]failureNote{}}, nil
}

// Start is Open for a connection known by its id, listener name and
// address only (no correlation).
func (b *Recorder) Start(id, listener, remote, ip string) *Transcript {
	return b.Open(Origin{ID: id, Listener: listener, Remote: remote, IP: ip})
}

// Open opens the transcript of a new connection. A nil Recorder returns a
// nil Transcript, whose methods must not be called: callers check.
func (b *Recorder) Open(o Origin) *Transcript {
	if b == nil {
		return nil
	}
	id, listener, remote, ip := o.ID, o.Listener, o.Remote, o.IP
	// Room for a whole login's records and bytes from the start: one
	// allocation each instead of a series of growths.
	t := &Transcript{rec: b, phase: PhasePlaintext, maxBytes: b.opt.MaxBytes,
		records: make([]entry, 0, 32), arena: make([]byte, 0, 4096)}
	t.sum = Summary{ID: id, Listener: listener, Local: o.Local, PortOf: o.CorrelateAs, Label: b.opt.Label, Remote: remote, Started: time.Now(), Live: true,
		SelectedBy: ByListener, TLS: "none", ClientCert: "none", Verdict: NotExercised, Reason: "nothing decided yet: the connection is live"}
	switch {
	case b.opt.Label != "":
		local := o.correlation()
		t.key = "label " + b.opt.Label + "|" + local + "|" + ip
	case o.Dedicated:
		local := o.correlation()
		t.key = "port " + local + "|" + ip
	}
	where := " on the " + listener + " listener"
	if o.Local != "" {
		where += " (" + o.Local + ")"
	}
	t.add(Record{Dir: DirEvent, Data: "connected from " + remote + where})
	b.mu.Lock()
	b.live[id] = t
	b.mu.Unlock()
	return t
}

// ended moves t from the live set to the recent ones and writes its file.
func (b *Recorder) ended(t *Transcript) {
	id := t.sum.ID // set at Start, never written again
	if b.opt.Verdict != nil {
		t.mu.Lock()
		profile, verdict := t.sum.Profile, t.sum.Verdict
		t.mu.Unlock()
		b.opt.Verdict(profile, verdict)
	}
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

// failed notes that t was refused STARTTLS or failed its handshake (what
// says which), then has the same client's later connections that already
// went on in plaintext look again: the server may note the failure after
// the client came back (it reads the failed connection's alert on that
// connection's goroutine). Called without any transcript's lock.
func (b *Recorder) failed(t *Transcript, what string) {
	b.noteFailure(t.key, t.sum.ID, what, t.sum.Started) // key, ID, Started: fixed at Open
	b.mu.Lock()
	var later []*Transcript
	for _, o := range b.live {
		later = append(later, o)
	}
	later = append(later, b.recent...)
	b.mu.Unlock()
	for _, o := range later {
		if o != t && o.key == t.key && o.sum.Started.After(t.sum.Started) {
			o.recheckFallback()
		}
	}
}

// noteFailure notes that connection id (begun at started), under key, was
// refused STARTTLS or failed its handshake (what says which).
func (b *Recorder) noteFailure(key, id, what string, started time.Time) {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	now := time.Now()
	b.failures[key] = failureNote{id: id, what: what, at: now, started: started}
	if len(b.failures) > 4096 { // forget the stale ones; the map stays small
		for k, f := range b.failures {
			if now.Sub(f.at) > b.opt.FallbackWindow {
				delete(b.failures, k)
			}
		}
	}
}

// priorFailure returns the failure noted under key for a connection that
// began before one that began at started, within the fallback window. The
// failed connection's start orders the two, not when its failure was
// noted: a client that reconnects the moment its handshake fails may be
// accepted before the server has read its alert.
func (b *Recorder) priorFailure(key string, started time.Time) (failureNote, bool) {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	f, ok := b.failures[key]
	if !ok || !f.started.Before(started) || time.Since(f.at) > b.opt.FallbackWindow {
		return failureNote{}, false
	}
	return f, true
}

// keyDesc says a correlation key (Open's) in words: "port 127.0.0.1:5223",
// or "label run1, port 127.0.0.1:5223". The key ends with the port and
// the address, each after a '|' (neither has one), so it is cut from the
// right: the label is whatever comes before them.
func keyDesc(key string) string {
	rest := key[:max(strings.LastIndexByte(key, '|'), 0)]
	cut := strings.LastIndexByte(rest, '|')
	if label, ok := strings.CutPrefix(rest[:max(cut, 0)], "label "); ok && cut >= 0 {
		return "label " + label + ", port " + rest[cut+1:]
	}
	return rest
}
