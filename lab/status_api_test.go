package lab_test

// The status page's JSON API: the connection list, one connection's
// transcript, and the profiles (fixture in status_test.go).

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"jabberd/lab"
)

func TestStatusAPIConnections(t *testing.T) {
	f := newFixture(t)
	r := getOK(t, f.srv, "/api/connections", jsonType)
	list := decode[lab.ConnectionList](t, r, "/api/connections")
	ids := make([]string, len(list.Connections))
	for i, s := range list.Connections {
		ids[i] = s.ID
	}
	// Live first, newest first (c3 started after c2), then the recent one.
	if want := []string{"c3", "c2", "c1"}; !slices.Equal(ids, want) {
		t.Fatalf("connection ids %q, want %q", ids, want)
	}
	c1, c2 := list.Connections[2], list.Connections[1]
	checks := []struct{ field, got, want string }{
		{"listener", c1.Listener, "xmpp"},
		{"remote", c1.Remote, "127.0.0.1:40001"},
		{"profile", c1.Profile, "sasl-before-tls"},
		{"selected_by", c1.SelectedBy, lab.ByUsername},
		{"dialect", c1.Dialect, "rfc6120"},
		{"tls", c1.TLS, tls13},
		{"sni", c1.SNI, "localhost"},
		{"client_cert", c1.ClientCert, "none"},
		{"mechanism", c1.Mechanism, "SCRAM-SHA-256"},
		{"identity", c1.Identity, "alice@localhost"},
		{"close_reason", c1.CloseReason, "client closed the stream"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("c1 %s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if c1.Live || c1.Ended.IsZero() || c1.Started.IsZero() {
		t.Errorf("c1 live=%v started=%v ended=%v: want an ended connection with both times", c1.Live, c1.Started, c1.Ended)
	}
	if wantFlags := []string{lab.FlagPlaintextCredentials}; !slices.Equal(c1.Flags, wantFlags) {
		t.Errorf("c1 flags %q, want %q", c1.Flags, wantFlags)
	}
	if c1.Verdict != lab.Fail || len(c1.Checks) != 1 || c1.Checks[0].Result != lab.Fail || len(c1.Evidence) == 0 || c1.Reason == "" {
		t.Errorf("c1 verdict %q (%q), checks %+v, evidence %v: want a failure with its reason and evidence", c1.Verdict, c1.Reason, c1.Checks, c1.Evidence)
	}
	if c1.BytesIn != int64(120+80+51+len(hostileData)) {
		t.Errorf("c1 bytes_in = %d", c1.BytesIn)
	}
	if !c2.Live || c2.Listener != "irc" || c2.TLS != "none" || c2.Dialect != "irc" || c2.Profile != "" || c2.SelectedBy != lab.ByListener {
		t.Errorf("c2 = %+v, want a live plaintext IRC connection with the standard profile", c2)
	}
	// Flags is a list even when empty, never null.
	var raw struct {
		Connections []map[string]json.RawMessage `json:"connections"`
	}
	if err := json.Unmarshal([]byte(r.body), &raw); err != nil {
		t.Fatal(err)
	}
	if got := string(raw.Connections[1]["flags"]); got != "[]" {
		t.Errorf("c2 flags encoded as %s, want []", got)
	}
}

func TestStatusAPIConnection(t *testing.T) {
	f := newFixture(t)
	r := getOK(t, f.srv, "/api/connections/c1", jsonType)
	d := decode[lab.ConnectionDetail](t, r, "/api/connections/c1")
	if d.Summary.ID != "c1" || d.Summary.TLS != tls13 {
		t.Errorf("summary %+v, want c1 over %s", d.Summary, tls13)
	}
	t1, _ := f.book.Get("c1")
	if want := t1.Records(); len(d.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(d.Records), len(want))
	}
	find := func(dir, sub string) *lab.Record {
		for i, rec := range d.Records {
			if rec.Dir == dir && strings.Contains(rec.Data, sub) {
				return &d.Records[i]
			}
		}
		t.Fatalf("no %s record containing %q in %+v", dir, sub, d.Records)
		return nil
	}
	for i, rec := range d.Records {
		if rec.Seq != i+1 || rec.Time.IsZero() {
			t.Errorf("record %d: seq %d time %v", i, rec.Seq, rec.Time)
		}
	}
	starttls := find(lab.DirIn, "<starttls")
	if starttls.Phase != lab.PhasePlaintext || starttls.Offset != 200 || starttls.Len != 51 {
		t.Errorf("starttls record %+v: want plaintext, offset 200, len 51", starttls)
	}
	if proceed := find(lab.DirOut, "<proceed"); proceed.Phase != lab.PhasePlaintext {
		t.Errorf("proceed record %+v: want the plaintext phase", proceed)
	}
	if auth := find(lab.DirIn, "<auth"); !auth.Redacted {
		t.Errorf("auth record %+v: want redacted", auth)
	}
	if ev := find(lab.DirEvent, "TLS established"); ev.Phase != lab.PhaseTLS {
		t.Errorf("TLS event %+v: want the tls phase", ev)
	}
	if h := find(lab.DirIn, "alert(1)"); h.Data != hostileData || h.Phase != lab.PhaseAuthenticated {
		t.Errorf("hostile record %+v: want its data verbatim in the authenticated phase", h)
	}
	find(lab.DirEvent, "verdict: "+lab.FlagPlaintextCredentials)
	// JSON escapes markup; the raw body never carries a live tag.
	if strings.Contains(r.body, "<script>") {
		t.Errorf("JSON body carries a raw <script>: %s", r.body)
	}
}

func TestStatusProfiles(t *testing.T) {
	f := newFixture(t)
	got := decode[[]lab.ProfileInfo](t, getOK(t, f.srv, "/api/profiles", jsonType), "/api/profiles")
	all := lab.Profiles()
	if len(got) != len(all) {
		t.Fatalf("%d profiles, want %d", len(got), len(all))
	}
	for i, p := range all {
		g := got[i]
		if g.Name != p.Name || g.Summary != p.Summary || g.Correct != p.Correct || g.Source != p.Source || g.IRC != p.IRC ||
			g.PassIf != p.PassIf || g.FailIf != p.FailIf || !slices.Equal(g.Pass, nonNilStrings(p.Pass)) {
			t.Errorf("profile %d = %+v, want %+v", i, g, p)
		}
		for _, f := range p.Fail {
			if !slices.Contains(g.Fail, f) {
				t.Errorf("profile %s: fail flags %v lack %s", p.Name, g.Fail, f)
			}
		}
	}
	strip := got[0]
	if strip.Name != "strip-starttls" || !strip.IRC || !slices.Equal(strip.Pass, []string{"aborted-on-strip"}) || !slices.Contains(strip.Fail, "continued-without-tls") || strip.Summary == "" || strip.Correct == "" || strip.Source == "" {
		t.Errorf("strip-starttls = %+v", strip)
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
