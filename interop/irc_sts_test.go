package interop

// The sts-bad-port profile through jabberd lab run (labrun.Run), with a
// small client that follows the IRCv3 sts upgrade policy
// (testdata/sts_client.py): the profile's verdict draws on both of its
// connections, the plaintext one and the one to the TLS port sts named.

import (
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/lab"
	"jabberd/labrun"
)

func TestIRCLabRunSTSBadPort(t *testing.T) {
	t.Parallel()
	needPython(t, "import ssl; print(ssl.OPENSSL_VERSION)", "python3")
	script, _ := filepath.Abs(filepath.Join("testdata", "sts_client.py"))
	for _, c := range []struct {
		name    string
		args    []string
		verdict string
		flags   []string
	}{
		{"verifies", nil, lab.Pass, []string{"followed-sts-upgrade", "rejected-bad-certificate"}},
		{"insecure", []string{"--insecure"}, lab.Fail, []string{"followed-sts-upgrade", "accepted-bad-certificate"}},
		{"falls back", []string{"--fallback"}, lab.Fail, []string{"followed-sts-upgrade", "rejected-bad-certificate", "continued-without-tls", lab.FlagFallbackToPlaintext}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cmd := append([]string{python, script, "--host", "{host}", "--port", "{port}", "--ca", "{ca}"}, c.args...)
			rep, err := labrun.Run(labrun.Options{Profiles: []string{"sts-bad-port"}, IRC: true, Timeout: 20 * time.Second,
				Command: cmd, Progress: io.Discard, Out: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Results) != 1 {
				t.Fatalf("%d results", len(rep.Results))
			}
			r := rep.Results[0]
			got := slices.Sorted(slices.Values(r.Flags))
			want := slices.Sorted(slices.Values(c.flags))
			if r.Verdict != c.verdict || !slices.Equal(got, want) || len(r.Connections) < 2 {
				t.Errorf("sts-bad-port, client %s: %s %v over %d connections (%s), want %s %v\nclient output:\n%s",
					c.name, r.Verdict, r.Flags, len(r.Connections), r.Reason, c.verdict, want, r.Client.Output)
			}
			if !slices.ContainsFunc(r.Connections, func(s lab.Summary) bool { return s.Listener == "irc-tls" && s.PortOf != "" }) {
				t.Errorf("no connection to the sts port among %+v", r.Connections)
			}
			if !strings.Contains(r.Client.Output, "sts upgrade policy: port") {
				t.Errorf("the client saw no upgrade policy:\n%s", r.Client.Output)
			}
		})
	}
}
