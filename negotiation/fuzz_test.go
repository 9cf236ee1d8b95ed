package negotiation

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"jabberd/lab/wire"
	"jabberd/stream"
	"jabberd/tlspolicy"
)

// FuzzMachine feeds arbitrary client bytes through the real tokenizer into
// the machine, completing every STARTTLS it asks for, and checks that it
// never panics, that every stream error ends the stream, and that nothing
// happens after Close.
func FuzzMachine(f *testing.F) {
	for _, seed := range transcriptSeeds(f) {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(0b11111_00)) // every lab knob
	}
	f.Fuzz(fuzzOne)
}

func fuzzOne(t *testing.T, in []byte, policy uint8) {
	// The upper bits turn the lab's knobs, so that every profile's path
	// through the machine is fuzzed too.
	knobs := policy >> 2
	fuzzMachine(t, in, fuzzPolicy(policy), wire.Effect{
		StripStartTLS: knobs&1 != 0, FailStartTLS: knobs&2 != 0, PlaintextBait: knobs&4 != 0,
		ExternalThenFail: knobs&8 != 0, Inject: knobs&16 != 0,
	})
}

// fuzzPolicy picks a listener policy from a fuzzed byte.
func fuzzPolicy(b uint8) tlspolicy.Policy {
	return []tlspolicy.Policy{tlspolicy.Optional, tlspolicy.Required, tlspolicy.Disabled}[b%3]
}

// fuzzMachine runs one input through a machine under a policy and a lab
// effect.
func fuzzMachine(t *testing.T, in []byte, pol tlspolicy.Policy, e wire.Effect) {
	{
		m := New(&Config{Domain: "localhost", TLS: pol, NewID: func() string { return "id" }})
		m.SetEffect(e)
		lim := stream.Limits{MaxBytes: 2048, MaxDepth: 8}
		src := bytes.NewReader(in)
		r := stream.NewReader(src, lim, 64)
		// reopen starts a tokenizer on what the old one left: its buffer
		// (only after STARTTLS: a restart drops nothing) and the unread input.
		reopen := func(rest []byte) {
			unread := make([]byte, src.Len())
			_, _ = src.Read(unread)
			src = bytes.NewReader(append(rest, unread...))
			r = stream.NewReader(src, lim, 64)
		}
		for step := 0; step < 10000; step++ {
			ev, err := r.Next()
			var mev Event
			var serr *stream.Error
			switch {
			case err == nil && ev.Kind == stream.KindHeader:
				mev = HeaderEvent{ev.Header}
			case err == nil && ev.Kind == stream.KindElement:
				mev = ElementEvent{ev.Element, ev.Space}
			case err == nil:
				mev = CloseEvent{}
			case errors.As(err, &serr):
				mev = FaultEvent{serr}
			default:
				return // input exhausted
			}
			closed := false
			for _, a := range m.Handle(mev) {
				switch a.Kind {
				case StartTLS:
					// What was buffered past the request goes on as the
					// "decrypted" stream: the fuzzer plays both sides.
					reopen(r.Rest())
					for _, b := range m.Handle(TLSEvent{Info: &TLSInfo{Version: tls.VersionTLS13}}) {
						if b.Kind != Send {
							t.Fatalf("TLS success led to %v", b.Kind)
						}
					}
				case Restart:
					reopen(r.Rest())
				case Close:
					closed = true
				}
			}
			if _, isFault := mev.(FaultEvent); isFault && !closed {
				t.Fatalf("stream error %v did not close the stream", serr)
			}
			if closed {
				if m.State() != Closed {
					t.Fatalf("close action in state %v", m.State())
				}
				if acts := m.Handle(ElementEvent{}); len(acts) != 0 {
					t.Fatalf("machine acted after close: %v", acts)
				}
				return
			}
		}
	}
}

// transcriptSeeds returns the client side of every transcript as one input.
func transcriptSeeds(f *testing.F) [][]byte {
	files, _ := filepath.Glob("../testdata/transcripts/*.txt")
	var seeds [][]byte
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			f.Fatal(err)
		}
		var b bytes.Buffer
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "C: ")
			if !ok {
				continue
			}
			if strings.HasPrefix(line, `"`) {
				if u, err := strconv.Unquote(line); err == nil {
					line = u
				}
			}
			b.WriteString(line)
		}
		fh.Close()
		seeds = append(seeds, b.Bytes())
	}
	return seeds
}
