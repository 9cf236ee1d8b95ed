package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestSingleBracketListTable checks that [listen] and [user] written
// with one bracket get an error that says how to write them, not the
// decoder's type mismatch.
func TestSingleBracketListTable(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"[listen]\naddress = \"127.0.0.1:5222\"\n", "t.toml: [listen] is written with two brackets: [[listen]]"},
		{"[user]\nname = \"a\"\npassword = \"b\"\n", "t.toml: [user] is written with two brackets: [[user]]"},
	} {
		_, err := Parse([]byte(c.file), "t.toml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.file, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "incompatible types") {
			t.Errorf("%q: the raw decoder error shows: %v", c.file, err)
		}
	}
}

// TestFileListenersDoNotInheritDefaults checks a file's listeners start
// from nothing: the default's second listener is if_available, a file's
// second listener is not unless it says so.
func TestFileListenersDoNotInheritDefaults(t *testing.T) {
	c, err := Parse([]byte("[[listen]]\naddress = \"127.0.0.1:1\"\n[[listen]]\naddress = \"127.0.0.1:2\"\n"), "t")
	if err != nil {
		t.Fatal(err)
	}
	want := []Listener{{Address: "127.0.0.1:1", TLS: "optional"}, {Address: "127.0.0.1:2", TLS: "optional"}}
	if !reflect.DeepEqual(c.Listen, want) {
		t.Errorf("Listen = %+v, want %+v", c.Listen, want)
	}
	d, err := Parse([]byte("domain = \"x.org\"\n"), "t")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Listen, Default().Listen) {
		t.Errorf("a file without [[listen]]: Listen = %+v, want the default's", d.Listen)
	}
}

// TestChanged checks the keys Changed names.
func TestChanged(t *testing.T) {
	a, b := Default(), Default()
	if got := Changed(a, b); len(got) != 0 {
		t.Errorf("equal configurations: %v", got)
	}
	b.Domain = "x.org"
	b.TLS.Cert, b.TLS.Key = "c", "k"
	b.Listen[0].Address = "0.0.0.0:5222"
	b.Users = b.Users[:1]
	b.Lab.SlowHandshakeDelay.Duration++
	want := []string{"domain", "listen", "tls.cert", "tls.key", "user", "lab.slow_handshake_delay"}
	if got := Changed(a, b); !reflect.DeepEqual(got, want) {
		t.Errorf("Changed = %v, want %v", got, want)
	}
}

// TestPrintHidesPasswords checks the printed configuration parses back
// to the same one but for the passwords, which never show.
func TestPrintHidesPasswords(t *testing.T) {
	c := Default()
	out, err := c.Print()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "lab-password") {
		t.Errorf("a password shows:\n%s", out)
	}
	back, err := Parse(out, "printed")
	if err != nil {
		t.Fatalf("the printed configuration does not parse: %v\n%s", err, out)
	}
	for i := range back.Users {
		if back.Users[i].Password != HiddenSecret {
			t.Errorf("user %d: password %q", i, back.Users[i].Password)
		}
		back.Users[i].Password = c.Users[i].Password
	}
	if got := Changed(c, back); len(got) != 0 {
		t.Errorf("printed and parsed back, these differ: %v\n%s", got, out)
	}
}
