package server_test

// Assertions of the lab's end-to-end tests (lab_test.go,
// lab_precedence_test.go): finding a connection's transcript and checking
// its records, summary, flags, events and redaction, what the client saw,
// and the fault certificates.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/certs"
	"jabberd/lab"
)

// ---- helpers ----

// labTranscript finds the transcript of the connection whose client end is
// local, and waits until it has ended (its flags are then final) unless
// live is asked for.
func (h *harness) labTranscript(t *testing.T, local string, live ...bool) *lab.Transcript {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for {
		for _, s := range h.set.Lab.List() {
			if s.Remote == local && (!s.Live || len(live) > 0) {
				tr, ok := h.set.Lab.Get(s.ID)
				if !ok {
					t.Fatalf("transcript %s listed but not found", s.ID)
				}
				return tr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ended transcript for %s after %v: %+v", local, ioTimeout, h.set.Lab.List())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// labSameFlags compares flag sets (the order follows the events, which the
// tests do not pin).
func labSameFlags(got, want []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}

// labCheckRecords checks the transcript's bookkeeping: sequence numbers in
// order, each direction's records contiguous from offset 0, summing to the
// summary's byte counts, and consistent with what the client counted.
func labCheckRecords(t *testing.T, tr *lab.Transcript, st *labConnStats) {
	t.Helper()
	sum := tr.Summary()
	next := map[string]int64{}
	for i, r := range tr.Records() {
		if r.Seq != i+1 {
			t.Errorf("record %d has seq %d", i+1, r.Seq)
		}
		if r.Dir == lab.DirEvent {
			if r.Offset != 0 || r.Len != 0 {
				t.Errorf("event %d %q has offset %d len %d", r.Seq, r.Data, r.Offset, r.Len)
			}
			continue
		}
		if r.Offset != next[r.Dir] || r.Len <= 0 {
			t.Errorf("%s record %d at offset %d len %d, want offset %d and a length", r.Dir, r.Seq, r.Offset, r.Len, next[r.Dir])
		}
		next[r.Dir] = r.Offset + int64(r.Len)
	}
	if sum.Truncated {
		t.Errorf("transcript truncated")
	}
	if next[lab.DirIn] != sum.BytesIn || next[lab.DirOut] != sum.BytesOut {
		t.Errorf("records add up to %d in, %d out; summary says %d, %d", next[lab.DirIn], next[lab.DirOut], sum.BytesIn, sum.BytesOut)
	}
	// The server cannot have parsed more than the client sent, nor the
	// client read more than the server wrote; after a clean close both
	// sides saw everything.
	if sum.BytesIn > st.sent || st.received > sum.BytesOut {
		t.Errorf("client sent %d and received %d bytes; transcript has %d in, %d out", st.sent, st.received, sum.BytesIn, sum.BytesOut)
	}
	if st.cleanClose && (sum.BytesIn != st.sent || sum.BytesOut != st.received) {
		t.Errorf("after a clean close: client sent %d and received %d bytes; transcript has %d in, %d out", st.sent, st.received, sum.BytesIn, sum.BytesOut)
	}
}

// labCheckTLSSummary compares the summary's TLS line with the handshake the
// client made (or failed).
func labCheckTLSSummary(t *testing.T, sum lab.Summary, run *labRun, serverName string) {
	t.Helper()
	switch {
	case run.tls != nil:
		want := tls.VersionName(run.tls.Version) + " " + tls.CipherSuiteName(run.tls.CipherSuite)
		if sum.TLS != want || sum.SNI != serverName {
			t.Errorf("summary TLS %q SNI %q, want %q %q", sum.TLS, sum.SNI, want, serverName)
		}
	case run.handshake > 0 || run.tlsDue:
		if !strings.HasPrefix(sum.TLS, "failed: ") {
			t.Errorf("summary TLS %q after a failed handshake", sum.TLS)
		}
	default:
		if sum.TLS != "none" {
			t.Errorf("summary TLS %q without a handshake", sum.TLS)
		}
	}
	if run.jid != "" && (sum.Mechanism != "PLAIN" || sum.Identity != "alice@localhost") {
		t.Errorf("bound %s but the summary has mechanism %q identity %q", run.jid, sum.Mechanism, sum.Identity)
	}
}

// labCheckRedacted: no transcript of the server, in any form, holds the
// password or a SASL response that carries it.
func labCheckRedacted(t *testing.T, h *harness, run *labRun) {
	t.Helper()
	secrets := append([]string{h.password("alice")}, run.credentials...)
	for _, s := range h.set.Lab.List() {
		tr, ok := h.set.Lab.Get(s.ID)
		if !ok {
			continue
		}
		jsonl := string(tr.MarshalJSONL())
		for _, secret := range secrets {
			if strings.Contains(jsonl, secret) {
				t.Errorf("transcript %s holds the secret %q", s.ID, secret)
			}
		}
	}
}

// labClientData returns what the transcript recorded from the client.
func labClientData(t *testing.T, h *harness, st *labConnStats) []string {
	t.Helper()
	var out []string
	for _, r := range h.labTranscript(t, st.local).Records() {
		if r.Dir == lab.DirIn {
			out = append(out, r.Data)
		}
	}
	return out
}

func labWantEvent(t *testing.T, h *harness, st *labConnStats, text string) {
	t.Helper()
	for _, r := range h.labTranscript(t, st.local).Records() {
		if r.Dir == lab.DirEvent && r.Data == text {
			return
		}
	}
	t.Errorf("no event %q in the transcript", text)
}

// labWantChoices checks the profile choices the transcript recorded, in order.
func labWantChoices(t *testing.T, tr *lab.Transcript, want ...string) {
	t.Helper()
	var got []string
	for _, r := range tr.Records() {
		if r.Dir == lab.DirEvent && strings.HasPrefix(r.Data, "profile ") {
			got = append(got, strings.TrimPrefix(r.Data, "profile "))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("profile choices %q, want %q", got, want)
	}
}

func labWantErr(t *testing.T, run *labRun, want error) {
	t.Helper()
	if !errors.Is(run.err, want) {
		t.Errorf("client ended with %v, want %v", run.err, want)
	}
}

// labWantStripped: features without STARTTLS, with PLAIN as bait.
func labWantStripped(t *testing.T, features string) {
	t.Helper()
	if strings.Contains(features, "starttls") || !strings.Contains(features, "<mechanism>PLAIN</mechanism>") {
		t.Errorf("plaintext features %q: want PLAIN and no STARTTLS", features)
	}
}

// labWantBait: plaintext features offering both STARTTLS and PLAIN.
func labWantBait(t *testing.T, features string) {
	t.Helper()
	if !strings.Contains(features, "<starttls xmlns='"+labNSTLS+"'/>") || !strings.Contains(features, "<mechanism>PLAIN</mechanism>") {
		t.Errorf("plaintext features %q: want STARTTLS and PLAIN", features)
	}
}

func labWantTried(t *testing.T, run *labRun, mechs ...string) {
	t.Helper()
	if !slices.Equal(run.mechanisms, mechs) {
		t.Errorf("mechanisms tried %q, want %q", run.mechanisms, mechs)
	}
}

func labWantBound(t *testing.T, run *labRun) {
	t.Helper()
	if run.jid != "alice@localhost/lab" {
		t.Errorf("bound %q (%v), want alice@localhost/lab", run.jid, run.err)
	}
}

func labWantSignedByCA(t *testing.T, h *harness, leaf *x509.Certificate) {
	t.Helper()
	if err := leaf.CheckSignatureFrom(h.set.State.CA.Cert); err != nil {
		t.Errorf("certificate not signed by the lab CA: %v", err)
	}
}

// labFaultCert loads a fault certificate from the state directory.
func labFaultCert(t *testing.T, h *harness, name string) *x509.Certificate {
	t.Helper()
	dir := filepath.Join(h.set.State.Dir, lab.FaultDir)
	p, err := certs.Load(filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"))
	if err != nil {
		t.Fatalf("fault certificate %s: %v", name, err)
	}
	return p.Cert
}
