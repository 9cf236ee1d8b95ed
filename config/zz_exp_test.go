package config

import (
	"testing"
)

func TestZZExp(t *testing.T) {
	for _, in := range []string{
		"",
		"# only a comment\n",
		"[[listen]]\naddress = \":5223\"\n",
		"[[listen]]\naddress = \":5223\"\n[[listen]]\naddress = \":5224\"\ntls='disabled'\n",
		"bogus = 1\n[limits]\nfoo = 2\nbar=3\n[[listen]]\naddress=':1'\ntls='optional'\nzap=1\n[[user]]\nname='x'\npassword='y'\nq=1\n[log.sub]\nx=1\n",
		"[limits]\nidle_timeout = \"5 minutes\"\n",
		"[limits]\nidle_timeout = 30\n",
		"[limits]\nmax_depth = \"x\"\n",
		"domain = 'a b'\n[limits]\nmax_depth = 2\n",
		"[[user]]\nname='carol'\npassword='p'\n",
	} {
		c, err := Parse([]byte(in), "f.toml")
		if err != nil {
			t.Logf("%q\n  ERR %v", in, err)
			continue
		}
		t.Logf("%q\n  listen=%+v users=%+v", in, c.Listen, c.Users)
	}
}
