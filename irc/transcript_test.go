package irc

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"jabberd/internal/transcript"
	"jabberd/lab/wire"
	"jabberd/sasl"
	"jabberd/tlspolicy"
)

// Transcripts in testdata/irc (the shared language of internal/transcript) replay a client's side of a connection
// through the real line reader into the machine and compare everything it
// does, strictly: output without an S: line, an action without an A: line
// or a delivery without a D: line fails the transcript.
//
//	# comment
//	@ key=value ...   settings: tls=optional|required|disabled,
//	                  mechanisms=EXTERNAL,PLAIN (the default), max_failures=N,
//	                  tls_ready=expired (STARTTLS finds the certificate expired),
//	                  peer=NICK[:#chan,#chan] (a registered client already
//	                  on the network, repeatable), behaviour=strip |
//	                  fail | inject | bait | sts-stripped | sts-bad-port,
//	                  sts_bad_port=N (the port sts-bad-port names),
//	                  sts_port=N, sts_duration=SECONDS (the sts policy),
//	                  plaintext_passwords=yes (PLAIN before TLS allowed)
//	C: <line>         the client sends line and CRLF; a "quoted" payload is
//	                  Go-unquoted and sent as it is (no CRLF added);
//	                  {x*N} stands for N times x
//	S: <line>         one line the server wrote since the last input, in
//	                  order ("quoted": raw bytes written as they are)
//	A: <kinds>        the other actions since the last input, in order:
//	                  starttls close welcomed:NICK nick:NICK login:MECH:ACCOUNT
//	                  login-failed:MECH refused
//	D: <nick> <line>  a line the network delivered to a peer, or one the
//	                  peer's own machine answered a P: line with
//	P: <nick> <line>  peer nick (a registered client on the network, see
//	                  peer=) sends line
//	E: "<bytes>"      bytes handed to the TLS handshake by the last starttls
//	T: ok [verified] [unverified] [ids=a,b] | fail
//	                  outcome of the handshake the machine asked for;
//	                  "T: direct ok …" before any line: the connection came
//	                  to the direct-TLS port (the machine starts secure)
//	X: ping | flood | timeout REASON | stop REASON | hangup REASON
//	                  an event from the connection (deadlines, flood limit)
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("../testdata/irc/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no IRC transcripts found: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			t.Parallel()
			runTranscript(t, f)
		})
	}
}

type step struct {
	line       int
	kind, text string
}

func parseTranscript(t *testing.T, path string) (opts map[string][]string, steps []step) {
	t.Helper()
	f, err := transcript.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Steps {
		text := s.Text
		if s.Quoted {
			text = "\x00raw:" + text
		}
		steps = append(steps, step{s.Line, s.Kind, text})
	}
	return f.Opts, steps
}

// raw reports whether a step's text was quoted, and its bytes.
func raw(text string) (string, bool) { return strings.CutPrefix(text, "\x00raw:") }

// feed is the client's side of the socket: Read returns errStarved when the
// transcript has not sent more yet.
type feed struct{ bytes.Buffer }

var errStarved = errors.New("starved")

func (f *feed) Read(p []byte) (int, error) {
	if f.Len() == 0 {
		return 0, errStarved
	}
	return f.Buffer.Read(p)
}

// recorder is a peer's outbox.
type recorder struct {
	nick string
	mu   *sync.Mutex
	got  *[]string
}

func (r recorder) Deliver(line string) {
	r.mu.Lock()
	*r.got = append(*r.got, r.nick+" "+line)
	r.mu.Unlock()
}

func transcriptConfig(t *testing.T, opts map[string][]string) *Config {
	cfg := &Config{
		ServerName: "localhost", Network: "jabberd", Version: "jabberd-test",
		Created: "Mon, 01 Jan 2024 00:00:00 UTC", TLS: tlspolicy.Optional, Domain: "localhost",
		Net: NewNetwork(func() time.Time { return time.Unix(1700000000, 0) }),
	}
	one := func(k string) string {
		if v := opts[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	if v := one("tls"); v != "" {
		cfg.TLS = tlspolicy.Policy(v)
	}
	if one("tls_ready") == "expired" {
		cfg.TLSReady = func() error { return errors.New("the server certificate expired on 2020-01-01T00:00:00Z") }
	}
	mechs := "EXTERNAL,PLAIN"
	if v, ok := opts["mechanisms"]; ok {
		mechs = v[len(v)-1]
	}
	for _, name := range strings.Split(mechs, ",") {
		switch name {
		case "EXTERNAL":
			cfg.Mechanisms = append(cfg.Mechanisms, sasl.External{})
		case "PLAIN":
			cfg.Mechanisms = append(cfg.Mechanisms, sasl.Plain{Accounts: transcriptAccounts(t)})
		case "":
		default:
			t.Fatalf("unknown mechanism %q", name)
		}
	}
	if v := one("max_failures"); v != "" {
		cfg.MaxFailures, _ = strconv.Atoi(v)
	}
	cfg.PlaintextPasswords = one("plaintext_passwords") == "yes"
	if v := one("sts_port"); v != "" {
		cfg.STSPort, _ = strconv.Atoi(v)
	}
	if v := one("sts_duration"); v != "" {
		cfg.STSDuration, _ = strconv.Atoi(v)
		cfg.STSPersist = true
	}
	switch b := one("behaviour"); b {
	case "":
	case "strip": // as strip-starttls: PLAIN is bait
		cfg.Effect.StripStartTLS, cfg.Effect.PlaintextBait = true, true
	case "bait": // as sasl-before-tls-irc
		cfg.Effect.PlaintextBait = true
	case "sts-stripped":
		cfg.Effect.STSStripped = true
	case "sts-bad-port":
		cfg.Effect.STSBadPort, cfg.Effect.CertFault = true, "untrusted-ca"
	case "inject":
		cfg.Effect.Inject = true
	case "inject-numerics":
		cfg.Effect.InjectNumerics = true
	case "fail":
		cfg.Effect.FailStartTLS = true
	default:
		t.Fatalf("unknown behaviour %q", b)
	}
	return cfg
}

func runTranscript(t *testing.T, path string) {
	opts, steps := parseTranscript(t, path)
	cfg := transcriptConfig(t, opts)
	var mu sync.Mutex
	var delivered []string
	// Peers are machines of their own on the same network, registered in
	// plaintext from 127.0.0.2 (USER nick 0 * :nick) before the client
	// connects, joined to their channels in the order given; what they
	// were sent until then is not compared. P: lines make them act later.
	peers := map[string]*Machine{}
	peerCfg := *cfg
	peerCfg.TLS = tlspolicy.Optional
	peerCfg.Effect = wire.Effect{}
	for _, p := range opts["peer"] {
		nick, chans, _ := strings.Cut(p, ":")
		pm := NewMachine(&peerCfg, recorder{nick, &mu, &delivered}, "127.0.0.2")
		lines := []string{"NICK " + nick, "USER " + nick + " 0 * :" + nick}
		for _, ch := range splitList(chans) {
			lines = append(lines, "JOIN "+ch)
		}
		for _, l := range lines {
			pm.Handle(LineEvent{Line: []byte(l)})
		}
		if pm.State() != Registered {
			t.Fatalf("peer %s did not register", nick)
		}
		peers[nick] = pm
	}
	mu.Lock()
	delivered = nil
	mu.Unlock()
	m := NewMachine(cfg, recorder{"client", &mu, &delivered}, "127.0.0.1")
	if v := opts["sts_bad_port"]; len(v) > 0 {
		port, _ := strconv.Atoi(v[len(v)-1])
		m.SetSTSBadPort(port)
	}
	in := &feed{}
	lr := newLineReader(in, maxLineBytes)

	var out, acts, early []string
	handle := func(ev Event) {
		for _, a := range m.Handle(ev) {
			switch a.Kind {
			case Send:
				if a.Raw != nil {
					out = append(out, "\x00raw:"+string(a.Raw))
				} else {
					out = append(out, a.Line)
				}
			case StartTLS:
				acts = append(acts, "starttls")
				// What TLS reads first: the reader's buffer, then what
				// the reader had not read yet.
				if r := string(lr.Rest()) + in.String(); r != "" {
					early = append(early, "\x00raw:"+r)
				}
				in.Reset()
			case Welcomed:
				acts = append(acts, "welcomed:"+a.Nick)
			case NickChanged:
				acts = append(acts, "nick:"+a.Nick)
			case LoggedIn:
				acts = append(acts, "login:"+a.Mechanism+":"+a.Account)
			case LoginFailed:
				acts = append(acts, "login-failed:"+a.Mechanism)
			default:
				acts = append(acts, a.Kind.String())
			}
		}
	}
	drain := func() {
		for m.State() != Upgrading && m.State() != Closed {
			line, err := lr.ReadLine()
			switch {
			case errors.Is(err, errStarved):
				return
			case errors.Is(err, ErrLineTooLong):
				handle(TooLongEvent{})
			case err != nil:
				t.Fatalf("reader: %v", err)
			default:
				handle(LineEvent{Line: bytes.Clone(line)})
			}
		}
	}
	// check compares what happened since the last input with the
	// expectation lines that follow it.
	check := func(at int, wantOut, wantActs, wantDel, wantEarly []string) {
		t.Helper()
		mu.Lock()
		gotDel := delivered
		delivered = nil
		mu.Unlock()
		for _, c := range []struct {
			what      string
			got, want []string
		}{
			{"server output (S:)", out, wantOut},
			{"actions (A:)", acts, wantActs},
			{"deliveries to peers (D:)", gotDel, wantDel},
			{"bytes handed to TLS (E:)", early, wantEarly},
		} {
			if !slices.Equal(c.got, c.want) {
				t.Errorf("%s:%d: %s\n got: %s\nwant: %s", filepath.Base(path), at, c.what, show(c.got), show(c.want))
			}
		}
		out, acts, early = nil, nil, nil
	}

	lastInput := 0
	var wantOut, wantActs, wantDel, wantEarly []string
	flush := func() {
		check(lastInput, wantOut, wantActs, wantDel, wantEarly)
		wantOut, wantActs, wantDel, wantEarly = nil, nil, nil, nil
	}
	for _, s := range steps {
		switch s.kind {
		case "C", "T", "X", "P":
			flush()
			lastInput = s.line
		}
		switch s.kind {
		case "C":
			if m.State() == Closed {
				t.Fatalf("%s:%d: the client sends after the connection closed", filepath.Base(path), s.line)
			}
			if b, ok := raw(s.text); ok {
				in.WriteString(b)
			} else {
				in.WriteString(s.text + "\r\n")
			}
			drain()
		case "T":
			if spec, direct := strings.CutPrefix(s.text, "direct "); direct {
				m.StartSecure(tlsEvent(t, spec).Info) // a connection to the direct-TLS port
				break
			}
			handle(tlsEvent(t, s.text))
			if m.State() != Closed {
				in.Reset()
				lr = newLineReader(in, maxLineBytes) // a fresh reader on the TLS connection
			}
			drain()
		case "X":
			handle(connEvent(t, s.text))
			drain()
		case "P":
			// A peer sends a line; what it is sent back is a D: line of
			// its own, like what the network delivers to it.
			nick, line, _ := strings.Cut(s.text, " ")
			pm := peers[nick]
			if pm == nil {
				t.Fatalf("%s:%d: no peer %q", filepath.Base(path), s.line, nick)
			}
			for _, a := range pm.Handle(LineEvent{Line: []byte(line)}) {
				if a.Kind == Send {
					recorder{nick, &mu, &delivered}.Deliver(a.Line)
				}
			}
			drain()
		case "S":
			wantOut = append(wantOut, s.text)
		case "A":
			wantActs = append(wantActs, strings.Fields(s.text)...)
		case "D":
			wantDel = append(wantDel, s.text)
		case "E":
			if _, ok := raw(s.text); !ok {
				s.text = "\x00raw:" + s.text
			}
			wantEarly = append(wantEarly, s.text)
		default:
			t.Fatalf("%s:%d: unknown line kind %q", filepath.Base(path), s.line, s.kind)
		}
	}
	flush()
}
