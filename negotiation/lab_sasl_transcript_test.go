package negotiation

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xdg-go/scram"

	"jabberd/accounts"
	"jabberd/lab/wire"
	"jabberd/sasl"
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
			runTranscriptWith(t, f, func(opts map[string]string) (*Auth, wire.Effect) {
				return labSASLAuth(t, opts["mechanisms"]), labSASLEffect(t, opts["lab"])
			})
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
