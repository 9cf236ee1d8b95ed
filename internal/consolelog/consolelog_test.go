package consolelog

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

const timeFormat = "15:04:05.000"

// both writes one event through this package's Writer and through
// zerolog's ConsoleWriter without colours, and returns the two lines.
func both(t *testing.T, event []byte) (fast, slow string) {
	t.Helper()
	var f, s bytes.Buffer
	if _, err := New(&f, timeFormat).Write(event); err != nil {
		t.Fatalf("Write(%s): %v", event, err)
	}
	if _, err := (zerolog.ConsoleWriter{Out: &s, TimeFormat: timeFormat, NoColor: true}).Write(event); err != nil {
		t.Fatalf("ConsoleWriter.Write(%s): %v", event, err)
	}
	return f.String(), s.String()
}

// TestSameLinesAsConsoleWriter: events as the server logs them, and odd
// ones, come out as ConsoleWriter writes them, byte for byte.
func TestSameLinesAsConsoleWriter(t *testing.T) {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	var json bytes.Buffer
	lg := zerolog.New(&json).Level(zerolog.TraceLevel).With().Timestamp().Str("conn", "ctpol4n921598-8372").Str("remote", "127.0.0.1:38450").Logger()
	events := []func(){
		func() { lg.Info().Msg("connected") },
		func() { lg.Info().Str("dialect", "rfc6120").Str("phase", "tls").Msg("stream opened") },
		func() {
			lg.Info().Str("version", "TLS 1.3").Str("cipher", "TLS_AES_128_GCM_SHA256").Int("early_bytes", 0).Str("sni", "localhost").Msg("TLS established")
		},
		func() { lg.Info().Str("reason", `client closed the "stream"`).Msg("closing") },
		func() { lg.Warn().Err(errors.New("read tcp: i/o timeout")).Msg("connection failed") },
		func() { lg.Error().Err(errors.New("x")).Str("a", "1").Str("z", "2").Msg("") },
		func() { lg.Debug().Str("out", "<iq type='result' id='b'>\n\t\\</iq>").Msg("sent") },
		func() { lg.Trace().Str("unicode", "héllo wörld ✓").Str("ctl", "a\x01b\x7f").Msg("x") },
		func() { lg.Info().Str("bad", "\xff\xfe utf-8").Msg("invalid") },
		func() { lg.Info().Int64("n", -42).Float64("f", 1.5e-7).Bool("ok", true).Uint8("u", 255).Msg("numbers") },
		func() { lg.Info().Dur("took", 1500*time.Microsecond).Time("at", time.Unix(1, 2)).Msg("times") },
		func() { lg.Info().Str("conn", "again").Msg("duplicate key") },
		func() { lg.Info().Str("error", "as a string").Str("a", "b").Msg("error first") },
		func() { lg.Info().Strs("ids", []string{"a", "b c"}).Msg("an array: ConsoleWriter's") },
		func() { lg.Info().Dict("d", zerolog.Dict().Str("k", "v")).Msg("an object: ConsoleWriter's") },
		func() { lg.Info().Interface("nil", nil).Msg("null") },
		func() { lg.WithLevel(zerolog.NoLevel).Msg("no level") },
		func() { lg.Log().Msg("") },
		func() { bare := zerolog.New(&json); bare.Info().Msg("no time") },
		func() { bare := zerolog.New(&json); bare.Log().Str("k", "v").Send() },
	}
	for _, emit := range events {
		json.Reset()
		emit()
		fast, slow := both(t, json.Bytes())
		if fast != slow {
			t.Errorf("event %s\n got %q\nwant %q", json.Bytes(), fast, slow)
		}
	}
	for _, raw := range []string{
		`{"level":"warning","time":"not a time","message":"m"}`,
		`{"level":"info","time":"2026-12-07T15:04:05.123456789Z","message":"m","x":1e3,"y":false}`,
		`{}`,
		` { "level" : "info" , "message" : "spaced" } ` + "\n",
		`{"level":"info","message":"escaped \u00e9 \ud83d\ude00 \/ \b"}`,
	} {
		fast, slow := both(t, []byte(raw))
		if fast != slow {
			t.Errorf("event %s\n got %q\nwant %q", raw, fast, slow)
		}
	}
}

// TestRandomStringsAsConsoleWriter: string values of random bytes quote
// and escape as ConsoleWriter's do.
func TestRandomStringsAsConsoleWriter(t *testing.T) {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	r := rand.New(rand.NewPCG(1, 2))
	var json bytes.Buffer
	lg := zerolog.New(&json).With().Timestamp().Logger()
	for range 2000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = "a \"\\\x00\x1f\x7f\xc3\xa9\xff<>'=\n"[r.IntN(15)]
		}
		json.Reset()
		lg.Info().Str(string(b[:len(b)/2]), string(b)).Msg(string(b))
		fast, slow := both(t, json.Bytes())
		if fast != slow {
			t.Fatalf("event %q\n got %q\nwant %q", json.Bytes(), fast, slow)
		}
	}
}

// TestNotJSON: what does not parse is ConsoleWriter's to refuse.
func TestNotJSON(t *testing.T) {
	for _, raw := range []string{``, `{`, `{"a":}`, `{"a":tru}`, `[1]`, `{"a":"b"} x`} {
		_, err := New(io.Discard, timeFormat).Write([]byte(raw))
		_, want := (zerolog.ConsoleWriter{Out: io.Discard, NoColor: true}).Write([]byte(raw))
		if (err == nil) != (want == nil) {
			t.Errorf("%q: err %v, ConsoleWriter's %v", raw, err, want)
		}
	}
}

func BenchmarkWriter(b *testing.B) {
	bench(b, New(io.Discard, timeFormat))
}

func BenchmarkConsoleWriter(b *testing.B) {
	bench(b, zerolog.ConsoleWriter{Out: io.Discard, TimeFormat: timeFormat, NoColor: true})
}

func bench(b *testing.B, w io.Writer) {
	lg := zerolog.New(w).With().Timestamp().Str("conn", "ctpol4n921598-8372").Str("remote", "127.0.0.1:38450").Logger()
	b.ReportAllocs()
	for b.Loop() {
		lg.Info().Str("dialect", "rfc6120").Str("phase", "tls").Str("stream", strings.Repeat("5e", 12)).Msg("stream opened")
	}
}
