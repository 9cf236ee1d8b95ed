package server_test

import (
	"strings"
	"testing"

	"jabberd/config"
)

// TestPEPBytesPerAccount: an account's nodes hold at most
// pep.max_bytes_per_account in all: a publish past it is
// resource-constraint, whatever the node; a retraction makes room again.
func TestPEPBytesPerAccount(t *testing.T) {
	h := start(t, func(c *config.Config) {
		c.PEP.MaxBytesPerAccount = 2000
		c.PEP.MaxItemBytes = 1500
	})
	alice := h.login(t, "alice", "a")
	payload := "<big xmlns='big'>" + strings.Repeat("x", 1000) + "</big>"
	alice.send(publishIQ("p1", "one", "1", payload, ""))
	alice.expect("<iq id='p1' type='result' from='alice@localhost' to='alice@localhost/a'><pubsub xmlns='" + nsPubsub + "'><publish node='one'><item id='1'/></publish></pubsub></iq>")
	pepError(t, alice, publishIQ("p2", "two", "1", payload, ""), "resource-constraint", "")
	alice.send("<iq type='set' id='r1'><pubsub xmlns='" + nsPubsub + "'><retract node='one'><item id='1'/></retract></pubsub></iq>")
	alice.expect("<iq id='r1' type='result' from='alice@localhost' to='alice@localhost/a'/>")
	alice.send(publishIQ("p4", "two", "1", payload, ""))
	alice.expect("<iq id='p4' type='result' from='alice@localhost' to='alice@localhost/a'><pubsub xmlns='" + nsPubsub + "'><publish node='two'><item id='1'/></publish></pubsub></iq>")
}
