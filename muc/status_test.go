package muc

import (
	"strings"
	"testing"
)

// TestConfigChangeCodes: a configuration change is 104; a room made
// non-anonymous adds 172, made semi-anonymous again 173.
func TestConfigChangeCodes(t *testing.T) {
	s, k := newService(t, Options{})
	join(t, s, alice, "Alice")
	join(t, s, bob, "Bob")
	for _, c := range []struct{ whois, want string }{{"anyone", "104,172"}, {"anyone", "104"}, {"moderators", "104,173"}} {
		k.reset()
		send(t, s, alice, submit(map[string]string{"muc#roomconfig_whois": c.whois}))
		g := k.take(bob)
		if len(g) != 1 || strings.Join(codes(g[0]), ",") != c.want || g[0].SelectAttrValue("from", "") != room {
			t.Errorf("whois %s: %s", c.whois, strings.Join(k.all, "\n"))
		}
	}
}
