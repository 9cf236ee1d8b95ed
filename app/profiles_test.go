package app_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"jabberd/app"
	"jabberd/config"
)

// TestCheckProfiles: profile names are checked against the lab's list,
// a profile that bends TLS is refused on a listener without TLS, and
// XMPP-only profiles are refused on IRC; each error names its key.
func TestCheckProfiles(t *testing.T) {
	for _, c := range []struct {
		name, toml, want string
	}{
		{"unknown listener profile", "[[listen]]\naddress = \":1\"\nprofile = \"nonsense\"\n", "listen[0].profile: unknown lab profile \"nonsense\" (known: strip-starttls"},
		{"profile on a plaintext listener", "[[listen]]\naddress = \":1\"\ntls = \"disabled\"\nprofile = \"cert-expired\"\n", "listen[0].profile: \"cert-expired\" bends TLS"},
		{"XMPP-only profile on IRC", "[irc]\nprofile = \"sasl-before-tls\"\n", "irc.profile: \"sasl-before-tls\" is an XMPP-only profile"},
		{"unknown IRC profile", "[irc]\nprofile = \"x\"\n", "irc.profile: unknown lab profile"},
		{"IRC-only profile on an XMPP listener", "[[listen]]\naddress = \":1\"\nprofile = \"sts-stripped\"\n", "listen[0].profile: \"sts-stripped\" is an IRC-only profile (choose it with [irc] profile)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(c.toml), "test.toml")
			if err != nil {
				t.Fatal(err)
			}
			err = app.CheckProfiles(cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("CheckProfiles error = %v, want one containing %q", err, c.want)
			}
			// FromConfig refuses it before it makes anything.
			cfg.StateDir = t.TempDir() + "/state"
			if _, err := app.FromConfig(cfg, zerolog.New(io.Discard)); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("FromConfig error = %v, want one containing %q", err, c.want)
			}
			if _, err := os.Stat(cfg.StateDir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("FromConfig made the state directory before refusing the profile (%v)", err)
			}
		})
	}
	cfg, err := config.Parse([]byte("[[listen]]\naddress = \":1\"\nprofile = \"strip-starttls\"\n[irc]\nprofile = \"inject-after-proceed\"\n"), "ok.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := app.CheckProfiles(cfg); err != nil {
		t.Errorf("CheckProfiles(known profiles) = %v", err)
	}
}
