package negotiation

import (
	"crypto/tls"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xdg-go/scram"

	"jabberd/accounts"
	"jabberd/lab/wire"
	"jabberd/sasl"
	"jabberd/stream"
	"jabberd/tlspolicy"
)

// TestLabSASLTranscripts replays testdata/transcripts/lab-sasl/*.txt: the
// lab's SASL profiles, which need SCRAM to run to its end. The transcript
// language and its strict checks are TestTranscripts' (C:, S:, A:, T:),
// with what a whole SCRAM exchange needs to be written down:
//
//	@ mechanisms=…            as in TestTranscripts, SCRAM-SHA-256 and
//	                          SCRAM-SHA-1 (and -PLUS) included
//	@ lab=plusstrip,ssdp,badsig,nofinal,wrongid
//	                          the lab knobs (wire.Effect: StripPlus,
//	                          DowngradeProtection, BadServerSignature,
//	                          NoServerFinal, ExternalWrongIdentity)
//
// alice's password is alice-pw, with the fixed salt labSalt and 4096
// iterations, and the server's part of every SCRAM nonce is "servernonce",
// so that the client's messages can be written out (labscram.py, beside
// the transcripts, computed them and the server's answers independently of
// jabberd).
func TestLabSASLTranscripts(t *testing.T) {
	files, err := filepath.Glob("../testdata/transcripts/lab-sasl/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts found: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			runLabSASLTranscript(t, f)
		})
	}
}

// labSalt is alice's SCRAM salt in these transcripts.
const labSalt = "jabberd-lab-salt"

// fixedNonce is a SCRAM mechanism whose server nonce is fixed.
type fixedNonce struct{ sasl.SCRAM }

func (f fixedNonce) Start(c *sasl.Context) sasl.Session {
	cp := *c
	cp.Nonce = func() string { return "servernonce" }
	return f.SCRAM.Start(&cp)
}

func labSASLAuth(t *testing.T, mechs string) *Auth {
	t.Helper()
	store := accounts.NewMemory()
	kf := scram.KeyFactors{Salt: labSalt, Iters: 4096}
	alice := &accounts.Account{Name: "alice"}
	for _, h := range []struct {
		fn  scram.HashGeneratorFcn
		out *scram.StoredCredentials
	}{{scram.SHA1, &alice.SHA1}, {scram.SHA256, &alice.SHA256}} {
		c, err := h.fn.NewClientUnprepped("", "alice-pw", "")
		if err != nil {
			t.Fatal(err)
		}
		*h.out = c.GetStoredCredentials(kf)
	}
	store.Put(alice)
	a := &Auth{Accounts: store}
	for _, name := range strings.Split(mechs, ",") {
		switch name {
		case "EXTERNAL":
			a.Mechanisms = append(a.Mechanisms, sasl.External{})
		case "PLAIN":
			a.Mechanisms = append(a.Mechanisms, sasl.Plain{Accounts: store})
		case "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS":
			h := strings.TrimSuffix(strings.TrimPrefix(name, "SCRAM-"), "-PLUS")
			a.Mechanisms = append(a.Mechanisms, fixedNonce{sasl.SCRAM{Hash: h, Plus: strings.HasSuffix(name, "-PLUS"), Accounts: store, Iterations: 4096}})
		default:
			t.Fatalf("unknown mechanism %q", name)
		}
	}
	return a
}

func labSASLEffect(t *testing.T, v string) wire.Effect {
	var e wire.Effect
	for _, k := range strings.Split(v, ",") {
		switch k {
		case "":
		case "plusstrip":
			e.StripPlus = true
		case "ssdp":
			e.DowngradeProtection = true
		case "badsig":
			e.BadServerSignature = true
		case "nofinal":
			e.NoServerFinal = true
		case "wrongid":
			e.ExternalWrongIdentity = true
		default:
			t.Fatalf("unknown lab knob %q", k)
		}
	}
	return e
}

func runLabSASLTranscript(t *testing.T, path string) {
	opts, steps := parseTranscript(t, path)
	ids := 0
	cfg := &Config{Domain: "localhost", TLS: tlspolicy.Optional, NewID: func() string { ids++; return "s" + strconv.Itoa(ids) }}
	cfg.Auth = labSASLAuth(t, opts["mechanisms"])
	m := New(cfg)
	m.SetEffect(labSASLEffect(t, opts["lab"]))
	lim := stream.Limits{MaxBytes: 4096, MaxDepth: 8}
	tk := newTokenizer(lim)
	defer func() { close(tk.req) }()
	tlsPending := false
	var out strings.Builder
	var acts []string
	feed := func(ev Event) {
		for _, a := range m.Handle(ev) {
			switch a.Kind {
			case Send:
				out.Write(a.Data)
			case StartTLS:
				acts = append(acts, "starttls")
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
			case Bind:
				acts = append(acts, "bind:"+a.JID)
			default:
				t.Fatalf("action %v not expected in these transcripts", a.Kind)
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
			case res.err == nil && res.ev.Kind == stream.KindHeader:
				feed(HeaderEvent{res.ev.Header})
			case res.err == nil && res.ev.Kind == stream.KindElement:
				feed(ElementEvent{res.ev.Element, res.ev.Space})
			case res.err == nil:
				feed(CloseEvent{})
			case errors.As(res.err, &serr):
				feed(FaultEvent{serr})
			default:
				t.Fatalf("line %d: tokenizer: %v", line, res.err)
			}
		}
	}
	var wantOut strings.Builder
	var wantActs []string
	check := func(line int) {
		t.Helper()
		if got, want := out.String(), wantOut.String(); got != want {
			t.Errorf("before line %d: server sent\n  %q\nwant\n  %q", line, got, want)
		}
		if got, want := strings.Join(acts, ","), strings.Join(wantActs, ","); got != want {
			t.Errorf("before line %d: actions [%s], want [%s]", line, got, want)
		}
		out.Reset()
		wantOut.Reset()
		acts, wantActs = nil, nil
	}
	for _, s := range steps {
		switch s.kind {
		case "S":
			wantOut.WriteString(s.text)
		case "A":
			wantActs = append(wantActs, strings.Fields(s.text)...)
		case "C":
			check(s.line)
			if tlsPending || m.State() == Closed {
				t.Fatalf("line %d: client data while the handshake is pending or after the close", s.line)
			}
			tk.push([]byte(s.text))
			drain(s.line)
		case "T":
			check(s.line)
			if !tlsPending || !strings.HasPrefix(s.text, "ok") {
				t.Fatalf("line %d: T: %s without a pending STARTTLS, or not ok", s.line, s.text)
			}
			tlsPending = false
			info := &TLSInfo{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}
			info.ClientVerified = strings.Contains(s.text, "verified")
			if strings.Contains(s.text, " cb") {
				info.Exporter = []byte("exporter-data-32-bytes-long.....")
			}
			for _, f := range strings.Fields(s.text) {
				if v, ok := strings.CutPrefix(f, "ids="); ok {
					info.ExternalIdentities = strings.Split(v, ",")
				}
			}
			feed(TLSEvent{Info: info})
			drain(s.line)
		default:
			t.Fatalf("line %d: step %q is not used in these transcripts", s.line, s.kind)
		}
	}
	check(len(steps) + 1)
}
