package negotiation

import (
	"crypto/tls"
	"errors"

	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"jabberd/accounts"
	"jabberd/internal/transcript"
	"jabberd/lab/wire"
	"jabberd/sasl"
	"jabberd/stream"
	"jabberd/tlspolicy"
)

// Transcripts in testdata/transcripts (the shared language of
// internal/transcript) replay a client's side of a stream
// through the real tokenizer into the machine and compare what it does.
//
//	# comment
//	@ tls=optional            listener settings (tls, domain, max_bytes, max_depth,
//	                          auth=on: accounts alice/alice-pw and bob/bob-pw,
//	                          mechanisms=EXTERNAL,PLAIN, plaintext=allow,
//	                          digest=on, max_failures=N, register=on
//	                          (XEP-0077; alice and bob are taken),
//	                          tls_ready=expired: STARTTLS finds the server
//	                          certificate expired, sm=on|resume: XEP-0198
//	                          offered, with resumption)
//	C: <bytes>                client sends; a "quoted" payload is Go-unquoted
//	S: <bytes>                the server's output since the last input, exactly;
//	                          several S: lines are joined; none means nothing
//	A: starttls               the non-send actions since the last input, in order:
//	                          starttls restart close login:MECH:JID
//	                          login-failed:MECH registered:JID bind:JID route
//	                          enable-sm (its <enabled/> is S: output)
//	                          acked:H resume:ID:H:JID
//	R: <bytes>                a routed stanza, serialized (one line per route)
//	E: <bytes>                bytes handed to the TLS handshake (default: none)
//	T: ok [verified] [ids=a,b] [cb] | fail
//	                          outcome of the handshake the machine asked for;
//	                          ids are the accounts the certificate maps to;
//	                          cb gives the connection tls-exporter data
//
// Checks are strict: output with no S: line, or an action with no A: line,
// fails the transcript.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("../testdata/transcripts/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts found: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			runTranscript(t, f)
		})
	}
}

type step struct {
	line       int
	kind, text string
}

func parseTranscript(t *testing.T, path string) (opts map[string]string, steps []step) {
	f, err := transcript.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	opts = map[string]string{}
	for k := range f.Opts {
		opts[k] = f.Opt(k)
	}
	for _, s := range f.Steps {
		steps = append(steps, step{s.Line, s.Kind, s.Text})
	}
	return opts, steps
}

// tokenizer runs a stream.Reader over bytes pushed by the test, one event per
// request, reporting "starved" when it needs bytes that were not pushed yet.
type tokenizer struct {
	chunks chan []byte
	req    chan struct{}
	resp   chan tokResult
	r      *stream.Reader
	cur    []byte
	asked  bool
}

type tokResult struct {
	ev      stream.Event
	err     error
	starved bool
}

func newTokenizer(lim stream.Limits) *tokenizer {
	tk := &tokenizer{chunks: make(chan []byte), req: make(chan struct{}), resp: make(chan tokResult)}
	tk.r = stream.NewReader(tk, lim, 64)
	go func() {
		for range tk.req {
			ev, err := tk.r.Next()
			tk.resp <- tokResult{ev: ev, err: err}
			if err != nil {
				return
			}
		}
	}()
	return tk
}

func (tk *tokenizer) Read(p []byte) (int, error) {
	if len(tk.cur) == 0 {
		tk.resp <- tokResult{starved: true}
		c, ok := <-tk.chunks
		if !ok {
			return 0, io.EOF
		}
		tk.cur = c
	}
	n := copy(p, tk.cur)
	tk.cur = tk.cur[n:]
	return n, nil
}

// push hands the tokenizer more input once it is waiting for some.
func (tk *tokenizer) push(b []byte) {
	if !tk.asked {
		if res := tk.next(); !res.starved {
			panic("tokenizer produced an event without input")
		}
	}
	tk.chunks <- b
}

// next returns the next event, or starved=true when more input is needed.
func (tk *tokenizer) next() tokResult {
	if !tk.asked {
		tk.req <- struct{}{}
		tk.asked = true
	}
	res := <-tk.resp
	if !res.starved {
		tk.asked = false
	}
	return res
}

func runTranscript(t *testing.T, path string) { runTranscriptWith(t, path, nil) }

// labSetup gives a transcript its accounts and mechanisms and its lab
// effect, in place of the @ auth and @ lab settings (the SASL lab
// transcripts need SCRAM with a fixed salt and nonce).
type labSetup func(opts map[string]string) (*Auth, wire.Effect)

// runTranscriptWith replays a transcript; setup, when not nil, makes its
// authentication and lab effect.
func runTranscriptWith(t *testing.T, path string, setup labSetup) {
	opts, steps := parseTranscript(t, path)
	cfg := &Config{Domain: "localhost", TLS: tlspolicy.Optional}
	if v, ok := opts["tls"]; ok {
		cfg.TLS = tlspolicy.Policy(v)
	}
	if v, ok := opts["domain"]; ok {
		cfg.Domain = v
	}
	lim := stream.Limits{MaxBytes: 4096, MaxDepth: 8}
	if v, ok := opts["max_bytes"]; ok {
		lim.MaxBytes, _ = strconv.Atoi(v)
	}
	if v, ok := opts["max_depth"]; ok {
		lim.MaxDepth, _ = strconv.Atoi(v)
	}
	switch opts["sm"] {
	case "on":
		cfg.SM = &SM{}
	case "resume":
		cfg.SM = &SM{Resume: true, MaxResume: 300}
	}
	if opts["tls_ready"] == "expired" {
		cfg.TLSReady = func() error { return errors.New("the server certificate expired on 2020-01-01T00:00:00Z") }
	}
	var effect *wire.Effect
	switch {
	case setup != nil:
		auth, e := setup(opts)
		cfg.Auth, effect = auth, &e
	case opts["auth"] == "on":
		cfg.Auth = transcriptAuth(t, opts)
	}
	ids := 0
	cfg.NewID = func() string { ids++; return "s" + strconv.Itoa(ids) }
	m := New(cfg)
	if v, ok := opts["lab"]; ok && setup == nil {
		e := transcriptBehaviour(t, v)
		effect = &e
	}
	if effect != nil {
		m.SetEffect(*effect)
	}
	tk := newTokenizer(lim)
	tlsPending := false

	var out strings.Builder
	var acts, early, routed []string
	// feed hands one event to the machine and collects what it does.
	feed := func(ev Event) {
		for _, a := range m.Handle(ev) {
			switch a.Kind {
			case Send:
				out.Write(a.Data)
			case StartTLS:
				acts = append(acts, "starttls")
				// What TLS reads first: the tokenizer's buffer, then
				// whatever of the input it had not read yet.
				if r := append(tk.r.Rest(), tk.cur...); len(r) > 0 {
					early = append(early, string(r))
				}
				close(tk.req)
				tk = newTokenizer(lim)
				tlsPending = true
			case Restart:
				acts = append(acts, "restart")
				close(tk.req)
				tk = newTokenizer(lim)
			case Close:
				acts = append(acts, "close")
			case LoggedIn:
				acts = append(acts, "login:"+a.Mechanism+":"+a.JID)
			case LoginFailed:
				acts = append(acts, "login-failed:"+a.Mechanism)
			case Registered:
				acts = append(acts, "registered:"+a.JID)
			case Bind:
				acts = append(acts, "bind:"+a.JID)
			case TLSRefused:
				acts = append(acts, "tls-refused")
			case Route:
				acts = append(acts, "route")
				routed = append(routed, string(stream.Marshal(a.Element)))
			case EnableSM:
				acts = append(acts, "enable-sm")
				out.Write(a.Data) // the connection writes <enabled/>
			case AckedSM:
				acts = append(acts, "acked:"+strconv.FormatUint(uint64(a.H), 10))
			case ResumeSM:
				acts = append(acts, "resume:"+a.ID+":"+strconv.FormatUint(uint64(a.H), 10)+":"+a.JID)
			}
		}
	}
	drain := func(line int) {
		for !tlsPending && m.State() != Closed {
			res := tk.next()
			if res.starved {
				return
			}
			var serr *stream.Error
			switch {
			case res.err == nil:
				switch res.ev.Kind {
				case stream.KindHeader:
					feed(HeaderEvent{res.ev.Header})
				case stream.KindElement:
					feed(ElementEvent{res.ev.Element, res.ev.Space})
				case stream.KindClose:
					feed(CloseEvent{})
				}
			case errors.As(res.err, &serr):
				feed(FaultEvent{serr})
			default:
				t.Fatalf("line %d: tokenizer: %v", line, res.err)
			}
		}
	}
	// check compares what happened since the last input with the
	// expectations that followed it.
	var wantOut strings.Builder
	var wantActs, wantEarly, wantRouted []string
	check := func(line int) {
		t.Helper()
		if got, want := out.String(), wantOut.String(); got != want {
			t.Errorf("before line %d: server sent\n  %q\nwant\n  %q", line, got, want)
		}
		if got, want := strings.Join(acts, ","), strings.Join(wantActs, ","); got != want {
			t.Errorf("before line %d: actions [%s], want [%s]", line, got, want)
		}
		if got, want := strings.Join(early, ""), strings.Join(wantEarly, ""); got != want {
			t.Errorf("before line %d: bytes handed to TLS %q, want %q", line, got, want)
		}
		if got, want := strings.Join(routed, "\n"), strings.Join(wantRouted, "\n"); got != want {
			t.Errorf("before line %d: routed\n  %s\nwant\n  %s", line, got, want)
		}
		out.Reset()
		wantOut.Reset()
		acts, wantActs, early, wantEarly, routed, wantRouted = nil, nil, nil, nil, nil, nil
	}
	for _, s := range steps {
		switch s.kind {
		case "S":
			wantOut.WriteString(s.text)
		case "A":
			wantActs = append(wantActs, strings.Fields(s.text)...)
		case "E":
			wantEarly = append(wantEarly, s.text)
		case "R":
			wantRouted = append(wantRouted, s.text)
		case "C":
			check(s.line)
			if tlsPending {
				t.Fatalf("line %d: client data while the TLS handshake is pending (missing T: line)", s.line)
			}
			if m.State() == Closed {
				t.Fatalf("line %d: client data after the stream closed", s.line)
			}
			tk.push([]byte(s.text))
			drain(s.line)
		case "T":
			check(s.line)
			if !tlsPending {
				t.Fatalf("line %d: T: without a pending STARTTLS", s.line)
			}
			tlsPending = false
			if strings.HasPrefix(s.text, "ok") {
				info := &TLSInfo{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}
				info.ClientVerified = strings.Contains(s.text, "verified")
				if strings.Contains(s.text, " cb") {
					info.Exporter = func() []byte { return []byte("exporter-data-32-bytes-long.....") }
				}
				for _, f := range strings.Fields(s.text) {
					if v, ok := strings.CutPrefix(f, "ids="); ok {
						info.ExternalIdentities = strings.Split(v, ",")
					}
				}
				feed(TLSEvent{Info: info})
			} else {
				feed(TLSEvent{Err: errors.New("handshake failed")})
			}
			drain(s.line)
		default:
			t.Fatalf("line %d: unknown step %q", s.line, s.kind)
		}
	}
	check(len(steps) + 1)
	if m.Facts()&Bound != 0 && m.tls != nil {
		t.Errorf("the bound session still holds its TLS state for SASL (%+v)", m.tls)
	}
	close(tk.req)
}

// transcriptAuth is the authentication policy of transcripts with auth=on.
// The accounts are built once: deriving credentials is deliberately slow.
func transcriptAuth(t *testing.T, opts map[string]string) *Auth {
	store := testAccounts(t, opts["digest"] == "on")
	a := &Auth{
		Accounts:       store,
		AllowPlaintext: opts["plaintext"] == "allow",
		Digest:         opts["digest"] == "on",
	}
	if opts["register"] == "on" {
		a.Register = func(name, password string) error {
			if _, err := store.Lookup(name); err == nil {
				return ErrAccountExists
			}
			return nil
		}
	}
	if v, ok := opts["max_failures"]; ok {
		a.MaxFailures, _ = strconv.Atoi(v)
	}
	mechs := "EXTERNAL,PLAIN"
	if v, ok := opts["mechanisms"]; ok {
		mechs = v
	}
	for _, name := range strings.Split(mechs, ",") {
		switch name {
		case "EXTERNAL":
			a.Mechanisms = append(a.Mechanisms, sasl.External{})
		case "PLAIN":
			a.Mechanisms = append(a.Mechanisms, sasl.Plain{Accounts: store})
		case "SCRAM-SHA-256-PLUS":
			a.Mechanisms = append(a.Mechanisms, sasl.SCRAM{Hash: "SHA-256", Plus: true, Accounts: store})
		default:
			t.Fatalf("unknown mechanism %q", name)
		}
	}
	return a
}

var testStores sync.Map // bool (keep password) → *accounts.Memory

func testAccounts(t *testing.T, keepPassword bool) *accounts.Memory {
	if s, ok := testStores.Load(keepPassword); ok {
		return s.(*accounts.Memory)
	}
	s, err := accounts.FromUsers([]accounts.User{{Name: "alice", Password: "alice-pw"}, {Name: "bob", Password: "bob-pw"}},
		accounts.Options{Iterations: 4096, KeepPassword: keepPassword})
	if err != nil {
		t.Fatal(err)
	}
	testStores.Store(keepPassword, s)
	return s
}

// transcriptBehaviour reads "@ lab=strip,bait" into the lab knobs.
func transcriptBehaviour(t *testing.T, v string) wire.Effect {
	var b wire.Effect
	for _, k := range strings.Split(v, ",") {
		switch k {
		case "strip":
			b.StripStartTLS = true
		case "fail":
			b.FailStartTLS = true
		case "bait":
			b.PlaintextBait = true
		case "inject":
			b.Inject = true
		case "extfail":
			b.ExternalThenFail = true
		case "forge-success":
			b.Forge = wire.ForgeSuccess
		case "forge-proceed":
			b.Forge = wire.ForgeProceed
		case "forge-stream":
			b.Forge = wire.ForgeStream
		case "forge-close":
			b.Forge = wire.ForgeClose
		case "starttls-late":
			b.StartTLSLate = true
		case "starttls-again":
			b.StartTLSAgain = true
		case "hide-required":
			b.HideRequired = true
		case "ignore-starttls":
			b.IgnoreStartTLS = true
		default:
			t.Fatalf("unknown lab knob %q", k)
		}
	}
	return b
}
