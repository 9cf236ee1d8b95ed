package config

import (
	"strings"
	"testing"
)

func TestMUCValues(t *testing.T) {
	c, err := Parse([]byte("domain = \"example.org\"\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !c.MUC.Enabled || c.MUCDomain() != "conference.example.org" {
		t.Errorf("default: enabled %v, domain %q", c.MUC.Enabled, c.MUCDomain())
	}
	c, err = Parse([]byte("[muc]\ndomain = \"Rooms.Example.org\"\nenabled = false\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.MUC.Enabled || c.MUCDomain() != "rooms.example.org" {
		t.Errorf("configured: enabled %v, domain %q", c.MUC.Enabled, c.MUCDomain())
	}
	for _, tc := range []struct{ toml, key string }{
		{"[muc]\ndomain = \"localhost\"\n", "muc.domain"},
		{"[muc]\ndomain = \"a@b\"\n", "muc.domain"},
		{"[muc]\nmax_rooms_per_user = 0\n", "muc.max_rooms_per_user"},
		{"[muc]\nmax_rooms = 0\n", "muc.max_rooms"},
		{"[muc]\nmax_occupants = 0\n", "muc.max_occupants"},
		{"[muc]\nmax_history = -1\n", "muc.max_history"},
		{"[muc]\nmax_message_bytes = 0\n", "muc.max_message_bytes"},
		{"[muc]\nmax_sessions_per_nick = 0\n", "muc.max_sessions_per_nick"},
		{"[muc]\nvoice_request_interval = \"0s\"\n", "muc.voice_request_interval"},
	} {
		_, err := Parse([]byte(tc.toml), "test.toml")
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: %v, want an error naming %s", tc.toml, err, tc.key)
		}
	}
}
