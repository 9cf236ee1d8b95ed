package interop

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jabberd/lab"
)

// TestIrssiReadErrorIsARefusal: irssi refused TLS 1.1 (tls11-only) once
// with "SSL read error: legacy sigalg disallowed or unsupported" instead
// of its usual "SSL handshake failed" (TestLabMatrix under load, kept
// output in testdata/labmatrix). Its own output shows a refused handshake,
// as jabberd's verdict said; the oracle read it as never reaching one.
func TestIrssiReadErrorIsARefusal(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "labmatrix", "irssi-starttls-tls11-only-read-error.client.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out outputFixture
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	p, _ := lab.Lookup(out.Profile)
	if p == nil {
		t.Fatalf("unknown profile %q", out.Profile)
	}
	got, why := expect(p, observeIrssi(clientOutput{exit: out.Exit, timedOut: out.TimedOut, text: out.Output}), matrixDomain, matrixSlow, out.Time)
	if got != lab.Pass || !strings.Contains(why, "SSL read error") {
		t.Errorf("the oracle reads irssi's output as %s (%s); want pass, on its SSL read error", got, why)
	}
}
