package lab

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func newBook(t *testing.T, opt Options) *Recorder {
	t.Helper()
	b, err := NewRecorder(opt, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBookKeepsTheLastN: ended transcripts beyond Keep are forgotten, the
// oldest first; live ones are listed before them, newest first.
func TestBookKeepsTheLastN(t *testing.T) {
	b := newBook(t, Options{Keep: 2})
	for _, id := range []string{"c1", "c2", "c3"} {
		b.Start(id, "xmpp", "127.0.0.1:1", "127.0.0.1").End("done")
	}
	live := b.Start("c4", "xmpp", "127.0.0.1:1", "127.0.0.1")
	var ids []string
	for _, s := range b.List() {
		ids = append(ids, s.ID)
	}
	if want := []string{"c4", "c3", "c2"}; !slices.Equal(ids, want) {
		t.Errorf("List ids = %v, want %v", ids, want)
	}
	if _, ok := b.Get("c1"); ok {
		t.Error("c1 is still kept past the bound")
	}
	if tr, ok := b.Get("c4"); !ok || tr != live || !tr.Summary().Live {
		t.Error("the live connection is not found as live")
	}
	live.End("bye")
	live.End("twice") // a second End changes nothing
	if s := live.Summary(); s.Live || s.CloseReason != "bye" {
		t.Errorf("after End: live %v reason %q", s.Live, s.CloseReason)
	}
}

// TestNilBook: transcripts off — Start returns nil and the listing is empty.
func TestNilBook(t *testing.T) {
	b := newBook(t, Options{Keep: 0})
	if b != nil {
		t.Fatal("Keep 0 made a book")
	}
	if tr := b.Start("c1", "xmpp", "r", "ip"); tr != nil {
		t.Error("a nil book started a transcript")
	}
	if len(b.List()) != 0 {
		t.Error("a nil book lists connections")
	}
}

// TestTranscriptFileAndOffsets: one JSON-lines file per ended connection,
// records then the summary; offsets per direction add up; secrets are as
// the caller redacted them.
func TestTranscriptFileAndOffsets(t *testing.T) {
	dir := t.TempDir()
	b := newBook(t, Options{Keep: 5, Dir: dir})
	tr := b.Start("c7", "xmpp", "127.0.0.1:5", "127.0.0.1")
	tr.In("<stream:stream>", 40, false, Input{Kind: "header"})
	tr.Out([]byte("<features/>"), false)
	tr.In("<starttls/>", 51, false, Input{Kind: "element", StartTLS: true})
	tr.Out([]byte("<proceed/>"), false)
	tr.TLSEstablished("TLS 1.3", "TLS_AES_128_GCM_SHA256", "localhost", "none")
	tr.In("<auth mechanism='PLAIN'>[redacted]</auth>", 90, true, Input{Kind: "element", Mechanism: "PLAIN", Credentials: true})
	tr.Out([]byte("<success/>"), true)
	tr.Auth("PLAIN", "alice@localhost", true, "")
	tr.End("client closed the stream")

	files, _ := filepath.Glob(filepath.Join(dir, "*-c7.jsonl"))
	if len(files) != 1 {
		t.Fatalf("transcript files %v, want one for c7", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []Record
	var sum struct{ Summary Summary }
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), `{"summary"`) {
			if err := json.Unmarshal(sc.Bytes(), &sum); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	if sum.Summary.ID != "c7" || sum.Summary.TLS != "TLS 1.3 TLS_AES_128_GCM_SHA256" || sum.Summary.Identity != "alice@localhost" || sum.Summary.BytesIn != 181 {
		t.Errorf("summary %+v", sum.Summary)
	}
	if len(sum.Summary.Flags) != 0 {
		t.Errorf("credentials over TLS were flagged: %v", sum.Summary.Flags)
	}
	next := map[string]int64{}
	phases := map[string]string{}
	for _, r := range recs {
		if r.Dir == DirEvent {
			continue
		}
		if r.Offset != next[r.Dir] {
			t.Errorf("record %d (%s) at offset %d, want %d", r.Seq, r.Dir, r.Offset, next[r.Dir])
		}
		next[r.Dir] = r.Offset + int64(r.Len)
		phases[r.Data] = r.Phase
	}
	if phases["<starttls/>"] != PhasePlaintext || phases["<auth mechanism='PLAIN'>[redacted]</auth>"] != PhaseTLS {
		t.Errorf("phases %v", phases)
	}
	for _, r := range recs {
		if r.Dir == DirOut && r.Redacted && r.Data != "[SASL payload redacted]" {
			t.Errorf("a redacted output kept its data: %q", r.Data)
		}
	}
}

// TestTranscriptTruncates: past MaxBytes data records are dropped (one
// event says so), events are still kept.
func TestTranscriptTruncates(t *testing.T) {
	b := newBook(t, Options{Keep: 1, MaxBytes: 100})
	tr := b.Start("c1", "xmpp", "r", "ip")
	for range 10 {
		tr.Out([]byte(strings.Repeat("x", 30)), false)
	}
	tr.End("done")
	s := tr.Summary()
	if !s.Truncated || s.BytesOut != 300 {
		t.Errorf("truncated %v bytes out %d", s.Truncated, s.BytesOut)
	}
	var out, notes int
	for _, r := range tr.Records() {
		switch {
		case r.Dir == DirOut:
			out++
		case strings.HasPrefix(r.Data, "transcript truncated"):
			notes++
		}
	}
	if out != 3 || notes != 1 {
		t.Errorf("%d output records and %d truncation notes, want 3 and 1", out, notes)
	}
	if last := tr.Records()[len(tr.Records())-1]; last.Data != "closed: done" {
		t.Errorf("the close event was dropped: last record %q", last.Data)
	}
}

// TestVerdicts draws the checks and the verdict of each profile from the
// calls a connection makes, for a client that falls for it, one that does
// not, and one whose decisive moment the server cut short.
func TestVerdicts(t *testing.T) {
	header := Input{Kind: "header"}
	iq := Input{Kind: "element", Name: "iq"}
	const byClient, byServer = "client disconnected", "idle timeout"
	established := func(tr *Transcript) { tr.TLSRequested(); tr.TLSEstablished("TLS 1.3", "c", "", "none") }
	cases := []struct {
		name, profile string
		run           func(tr *Transcript)
		end           string
		want          []string
		verdict       string
	}{
		{"strip: aborts", "strip-starttls", func(tr *Transcript) { tr.In("h", 1, false, header) }, byClient, []string{"aborted-on-strip"}, Pass},
		{"strip: cut by the server", "strip-starttls", func(tr *Transcript) { tr.In("h", 1, false, header) }, byServer, nil, Inconclusive},
		{"strip: continues", "strip-starttls", func(tr *Transcript) {
			tr.In("h", 1, false, header)
			tr.In("a", 1, true, Input{Kind: "element", Mechanism: "PLAIN", Credentials: true})
		}, byClient, []string{FlagPlaintextCredentials, "continued-without-tls"}, Fail},
		{"sasl-before-tls: starttls", "sasl-before-tls", func(tr *Transcript) {
			tr.In("s", 1, false, Input{Kind: "element", StartTLS: true})
		}, byClient, []string{"ignored-plaintext-sasl"}, Pass},
		{"inject: discarded", "inject-after-proceed", func(tr *Transcript) {
			established(tr)
			tr.In("a", 1, false, Input{Kind: "element", Mechanism: "SCRAM-SHA-256"})
		}, byClient, []string{"discarded-injected-data"}, Pass},
		{"inject: accepted", "inject-after-proceed", func(tr *Transcript) {
			established(tr)
			tr.In("a", 1, false, Input{Kind: "element", Mechanism: InjectedMechanism, Injected: true})
		}, byClient, []string{FlagAcceptedInjectedData}, Fail},
		{"inject: answered before TLS", "inject-after-proceed", func(tr *Transcript) {
			tr.TLSRequested()
			tr.In("</stream:stream>", 16, false, Input{Kind: "close"})
			tr.TLSFailed("tls: first record does not look like a TLS handshake", "", "", true)
		}, byClient, []string{"acted-on-injected-data"}, Fail},
		{"inject: refused", "inject-after-proceed", func(tr *Transcript) {
			tr.TLSRequested()
			tr.TLSFailed("EOF", "", "", false)
		}, byClient, []string{"refused-injected-data"}, Pass},
		{"cert: rejected in the handshake", "cert-expired", func(tr *Transcript) {
			tr.TLSFailed("remote error: tls: expired certificate", "", "", false)
		}, "TLS handshake failed", []string{"rejected-bad-certificate"}, Pass},
		{"cert: closed after the handshake", "cert-expired", established, byClient, []string{"rejected-bad-certificate"}, Pass},
		{"cert: accepted", "cert-expired", func(tr *Transcript) {
			established(tr)
			tr.In("h", 1, false, header)
		}, byClient, []string{"accepted-bad-certificate"}, Fail},
		{"cert: silent until the server's timeout", "cert-expired", established, byServer, nil, Inconclusive},
		{"cert: never asked for TLS", "cert-expired", func(tr *Transcript) { tr.In("h", 1, false, header) }, byClient, nil, NotExercised},
		{"tls10: accepted", "tls10-only", func(tr *Transcript) {
			established(tr)
			tr.In("h", 1, false, header)
		}, byClient, []string{"accepted-weak-tls"}, Fail},
		{"external: stops", "external-then-fail", func(tr *Transcript) {
			tr.Auth("EXTERNAL", "", false, "not-authorized")
			tr.In("a", 1, false, Input{Kind: "element", Mechanism: "SCRAM-SHA-256"})
		}, byClient, []string{"stopped-after-auth-failure"}, Pass},
		{"external: ignores", "external-then-fail", func(tr *Transcript) {
			tr.Auth("EXTERNAL", "", false, "not-authorized")
			tr.In("h", 1, false, header)
		}, byClient, []string{"ignored-auth-failure"}, Fail},
		{"slow: gives up", "slow-handshake", func(tr *Transcript) { tr.TLSFailed("EOF", "", "", false) }, byClient, []string{"gave-up-on-slow-handshake"}, Pass},
		{"slow: waits", "slow-handshake", established, byClient, []string{"waited-for-slow-handshake"}, Pass},
		{"fail-starttls: stops", "fail-starttls", func(tr *Transcript) { tr.TLSRefused("lab") }, byClient, []string{"stopped-after-refusal"}, Pass},
		{"fail-starttls: goes on on the socket", "fail-starttls", func(tr *Transcript) {
			tr.TLSRefused("lab")
			tr.Late("the refused STARTTLS", true)
			tr.In("h", 1, false, header)
			tr.In("q", 1, false, iq)
		}, byClient, []string{FlagFallbackToPlaintext}, Fail},
		{"cert: plaintext after the failed handshake", "cert-self-signed", func(tr *Transcript) {
			tr.TLSFailed("remote error: tls: bad certificate", "", "", false)
			tr.Late("the failed TLS handshake", true)
			tr.In("q", 1, false, iq)
		}, byClient, []string{"rejected-bad-certificate", FlagFallbackToPlaintext}, Fail},
		{"standard", "", func(tr *Transcript) { tr.In("h", 1, false, header) }, byClient, nil, NotExercised},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBook(t, Options{Keep: 1})
			tr := b.Start("c1", "xmpp", "r", "10.0.0.1")
			if p, _ := Lookup(c.profile); p != nil {
				tr.Choose(p, ByListener)
			}
			c.run(tr)
			tr.End(c.end)
			s := tr.Summary()
			if !slices.Equal(s.Flags, nonNil(c.want)) || s.Verdict != c.verdict {
				t.Errorf("flags %v verdict %s (%s), want %v %s", s.Flags, s.Verdict, s.Reason, c.want, c.verdict)
			}
			if s.Reason == "" {
				t.Error("the verdict has no reason")
			}
			recs := tr.Records()
			for _, ch := range s.Checks {
				if len(ch.Evidence) == 0 || ch.Reason == "" {
					t.Errorf("check %+v has no evidence or reason", ch)
					continue
				}
				// The first piece of evidence is what decided, never
				// another check's verdict.
				if r := recs[ch.Evidence[0]-1]; strings.HasPrefix(r.Data, "verdict") {
					t.Errorf("check %s rests on %q", ch.Flag, r.Data)
				}
			}
		})
	}
}

// TestFallbackToPlaintext: after a refused STARTTLS on a per-profile port,
// a plaintext connection of the same address to the same port that goes on
// without asking for TLS is a fallback, correlated with the refused one;
// another address, another port, the shared port, or a retry with STARTTLS
// is not.
func TestFallbackToPlaintext(t *testing.T) {
	b := newBook(t, Options{Keep: 10})
	open := func(id, local, ip string, dedicated bool) *Transcript {
		return b.Open(Origin{ID: id, Listener: "xmpp", Local: local, Remote: ip + ":1", IP: ip, Dedicated: dedicated})
	}
	const port, other = "127.0.0.1:5301", "127.0.0.1:5302"
	plain := Input{Kind: "element", Name: "iq"}
	first := open("c1", port, "10.0.0.1", true)
	first.TLSRefused("lab")
	first.End("client disconnected")
	again := open("c2", port, "10.0.0.1", true)
	again.In("h", 1, false, Input{Kind: "header"})
	again.In("a", 1, false, plain)
	otherIP := open("c3", port, "10.0.0.2", true)
	otherIP.In("a", 1, false, plain)
	otherPort := open("c4", other, "10.0.0.1", true)
	otherPort.In("a", 1, false, plain)
	shared := open("c5", "127.0.0.1:5222", "10.0.0.1", false)
	shared.In("a", 1, false, plain)
	retry := open("c6", port, "10.0.0.1", true)
	retry.In("s", 1, false, Input{Kind: "element", StartTLS: true})
	retry.In("a", 1, false, plain)
	if s := again.Summary(); !slices.Contains(s.Flags, FlagFallbackToPlaintext) || s.Correlated != "c1" || s.Verdict != Fail {
		t.Errorf("the fallback was not charged to c2 with c1 as its evidence: %+v", s)
	}
	for _, tr := range []*Transcript{otherIP, otherPort, shared, retry} {
		if s := tr.Summary(); slices.Contains(s.Flags, FlagFallbackToPlaintext) {
			t.Errorf("%s was charged with a fallback: %+v", s.ID, s)
		}
	}
}

// TestFromUsernameAndSNI: the selectors' syntax.
func TestFromUsernameAndSNI(t *testing.T) {
	for _, c := range []struct {
		in, profile, rest string
	}{
		{"alice+strip-starttls@localhost", "strip-starttls", "alice@localhost"},
		{"alice+strip-starttls", "strip-starttls", "alice"},
		{"bob+work@localhost", "", "bob+work@localhost"},
		{"alice@localhost", "", "alice@localhost"},
		{"a+b+cert-expired", "cert-expired", "a+b"},
	} {
		p, rest, ok := FromUsername(c.in)
		name := ""
		if p != nil {
			name = p.Name
		}
		if name != c.profile || rest != c.rest || ok != (c.profile != "") {
			t.Errorf("FromUsername(%q) = %q %q %v, want %q %q", c.in, name, rest, ok, c.profile, c.rest)
		}
	}
	if p, ok := FromSNI("cert-expired.localhost"); !ok || p.Name != "cert-expired" {
		t.Errorf("FromSNI(cert-expired.localhost) = %v %v", p, ok)
	}
	for _, sni := range []string{"localhost", "example.com", "standard.localhost", ""} {
		if p, ok := FromSNI(sni); ok {
			t.Errorf("FromSNI(%q) chose %s", sni, p.Name)
		}
	}
	if err := CheckName("strip-starttls"); err != nil {
		t.Error(err)
	}
	if err := CheckName("nonsense"); err == nil || !strings.Contains(err.Error(), "strip-starttls") {
		t.Errorf("Check(nonsense) = %v, want an error listing the profiles", err)
	}
}

// TestSASLBeforeTLSOneVerdict: a client that sends PLAIN in the clear and
// then asks for STARTTLS fell for the bait; it does not also earn the pass.
func TestSASLBeforeTLSOneVerdict(t *testing.T) {
	b := newBook(t, Options{Keep: 1})
	tr := b.Start("c1", "xmpp", "r", "10.0.0.1")
	p, _ := Lookup("sasl-before-tls")
	tr.Choose(p, ByUsername)
	tr.In("a", 1, true, Input{Kind: "element", Mechanism: "PLAIN", Credentials: true})
	tr.In("s", 1, false, Input{Kind: "element", StartTLS: true})
	tr.End("done")
	if got := tr.Summary().Flags; !slices.Equal(got, []string{FlagPlaintextCredentials}) {
		t.Errorf("flags %v, want only %s", got, FlagPlaintextCredentials)
	}
}

// TestSkipWhenFull: once the bound is reached, input is only counted (the
// caller does not even write it out) and verdicts still run.
func TestSkipWhenFull(t *testing.T) {
	b := newBook(t, Options{Keep: 1, MaxBytes: 10})
	tr := b.Start("c1", "xmpp", "r", "ip")
	if !tr.Keeps(10) || tr.Keeps(11) {
		t.Fatalf("Keeps around the bound of 10 is wrong")
	}
	tr.In("0123456789", 10, false, Input{Kind: "element"})
	if tr.Keeps(1) {
		t.Fatal("a full transcript still keeps data")
	}
	tr.Skip(500, Input{Kind: "element", Mechanism: InjectedMechanism, Injected: true})
	tr.Out(make([]byte, 300), false)
	s := tr.Summary()
	if s.BytesIn != 510 || s.BytesOut != 300 || !s.Truncated || !slices.Contains(s.Flags, FlagAcceptedInjectedData) {
		t.Errorf("summary %+v", s)
	}
	for _, r := range tr.Records() {
		if r.Dir != DirEvent && r.Len > 10 {
			t.Errorf("a record past the bound was kept: %+v", r)
		}
	}
}

// TestServerCertNamed: the summary says which certificate the handshake
// showed: the fault's file under a certificate profile, else server.crt.
func TestServerCertNamed(t *testing.T) {
	b := newBook(t, Options{Keep: 2})
	p, _ := Lookup("cert-expired")
	bad := b.Start("c1", "xmpp", "r", "ip")
	bad.Choose(p, BySNI)
	bad.TLSFailed("bad certificate", "", "", false)
	good := b.Start("c2", "xmpp", "r", "ip")
	good.TLSEstablished("TLS 1.3", "c", "localhost", "none")
	if got := bad.Summary().ServerCert; got != "lab-certs/cert-expired.crt" {
		t.Errorf("under cert-expired: %q", got)
	}
	if got := good.Summary().ServerCert; got != "server.crt" {
		t.Errorf("standard: %q", got)
	}
}

// TestFallbackNotedLate: the client came back in plaintext (and even hung
// up) before the server noted the failed handshake it falls back from —
// the server reads the alert on the failed connection's goroutine; the
// fallback is charged when the failure is noted.
func TestFallbackNotedLate(t *testing.T) {
	b := newBook(t, Options{Keep: 10})
	open := func(id string) *Transcript {
		return b.Open(Origin{ID: id, Listener: "irc", Local: "127.0.0.1:5401", Remote: "10.0.0.1:1", IP: "10.0.0.1", Dedicated: true})
	}
	failing := open("i1")
	time.Sleep(time.Millisecond)
	back := open("i2")
	back.In("USER a 0 * a", 14, false, Input{Kind: "line", Name: "USER"})
	back.End("Client Quit")
	if s := back.Summary(); s.Correlated != "" {
		t.Fatalf("correlated before any failure: %+v", s)
	}
	failing.TLSFailed("remote error: tls: unknown certificate authority", "", "", false)
	failing.End("TLS handshake failed")
	if s := back.Summary(); s.Correlated != "i1" || s.Verdict != Fail || !slices.Contains(s.Flags, FlagFallbackToPlaintext) {
		t.Errorf("after the failure was noted: %+v", s)
	}
}
