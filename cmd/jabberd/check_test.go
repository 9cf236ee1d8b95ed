package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jabberd/certs"
)

func runT(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestCheck: `jabberd check` prints the effective configuration with the
// passwords hidden, warns, and fails only on what would stop the server.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The embedded default: valid; its passwords never show.
	code, out, errOut := runT(t, "check", "-state", filepath.Join(dir, "st"))
	if code != 0 || !strings.Contains(out, `password = "(hidden)"`) || strings.Contains(out, "lab-password") ||
		!strings.Contains(out, `address = "127.0.0.1:5222"`) || !strings.Contains(errOut, "the embedded default is valid") {
		t.Errorf("check of the default: exit %d\n%s\n%s", code, out, errOut)
	}

	// A certificate that ends in 10 days, exposed lab settings, no
	// accounts, plaintext passwords, the status page on every interface.
	ca, err := certs.NewCA("check CA", certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	soon, err := certs.IssueServer(ca, []string{"localhost"}, certs.Options{Validity: 10 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	crt, key := filepath.Join(dir, "soon.crt"), filepath.Join(dir, "soon.key")
	if err := soon.Save(crt, key); err != nil {
		t.Fatal(err)
	}
	cfg := file("exposed.toml", "state_dir = '"+filepath.Join(dir, "st2")+"'\n[[listen]]\naddress = ':5222'\n[tls]\ncert = '"+crt+"'\nkey = '"+key+"'\n"+
		"[auth]\ninsecure_allow_passwords_without_tls = true\n[lab]\nstatus_address = ':5280'\n[limits]\nmax_connections = 100000000\n")
	code, _, errOut = runT(t, "check", "-config", cfg)
	for _, want := range []string{
		"warning: no accounts: no [[user]] in the configuration and none in the store, so nobody can log in",
		"warning: auth.insecure_allow_passwords_without_tls is on",
		"warning: lab.status_address :5280 is reachable from other hosts",
		"warning: lab.client_choice is on and [:5222] accept other hosts",
		"warning: " + crt + " (CN=localhost) expires on",
		"in 9 days",
		"warning: the open-file limit is",
		"jabberd check: " + cfg + " is valid (6 warnings)",
	} {
		if code != 0 || !strings.Contains(errOut, want) {
			t.Errorf("check %s: exit %d, stderr lacks %q:\n%s", cfg, code, want, errOut)
		}
	}
	// The lab passwords on an exposed listener.
	code, _, errOut = runT(t, "check", "-listen", ":5222", "-state", filepath.Join(dir, "st"))
	if code != 0 || !strings.Contains(errOut, `user "alice" has a lab password the README publishes`) {
		t.Errorf("check -listen :5222: exit %d\n%s", code, errOut)
	}

	// What would stop the server: exit 1 and why.
	for _, c := range []struct{ body, want string }{
		{"[listen]\naddress = ':5222'\n", "[listen] is written with two brackets: [[listen]]"},
		{"[tls]\ncert = '/nonexistent.crt'\nkey = '/nonexistent.key'\n", "tls.cert: "},
		{"[[listen]]\naddress = ':1'\nprofile = 'nonsense'\n", `unknown lab profile "nonsense"`},
	} {
		code, _, errOut = runT(t, "check", "-config", file("bad.toml", c.body))
		if code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("check of %q: exit %d, stderr %q, want %q", c.body, code, errOut, c.want)
		}
	}
}

// TestVersion: version, --version and -version print one line from the
// build information.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version"} {
		code, out, _ := runT(t, arg)
		if code != 0 || !strings.HasPrefix(out, "jabberd 0.1.0 (") || !strings.Contains(out, " go1.") || strings.Count(out, "\n") != 1 {
			t.Errorf("%s: exit %d, %q", arg, code, out)
		}
	}
}
