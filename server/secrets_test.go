package server_test

import (
	"strings"
	"testing"

	"jabberd/config"
)

// TestNoPasswordInLogs: passwords sent in XEP-0078 logins (right and wrong),
// in XEP-0077 registrations and in SASL PLAIN never reach the debug log,
// neither as received nor in the error replies the server sends back.
func TestNoPasswordInLogs(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Auth.InBandRegistration = true })
	const wrong, fresh = "W0rongSecret-1", "Fr3shSecret-2"
	c := h.dial(t)
	c.legacyUpgrade(h.tlsConfig(nil))
	// A wrong XEP-0078 password: 401, with the query echoed without it.
	c.send("<iq type='set' id='l1'><query xmlns='jabber:iq:auth'><username>alice</username><password>" + wrong + "</password><resource>r</resource></query></iq>")
	c.expect("<iq id='l1' type='error'><query xmlns='jabber:iq:auth'><username>alice</username><resource>r</resource></query><error code='401' type='auth'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>wrong username or password</text></error></iq>")
	// A registration of a taken name, then a new one.
	c.send("<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>alice</username><password>" + fresh + "</password></query></iq>")
	c.expect("<iq id='r1' type='error'><query xmlns='jabber:iq:register'><username>alice</username></query><error code='409' type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>the username is taken</text></error></iq>")
	c.send("<iq type='set' id='r2'><query xmlns='jabber:iq:register'><username>carol</username><password>" + fresh + "</password></query></iq>")
	c.expect("<iq id='r2' type='result'/>")
	h.logs.wait(t, match{msg: "account registered in band", fields: map[string]string{"jid": "carol@localhost"}})
	log := h.logs.text()
	for _, secret := range []string{wrong, fresh} {
		if strings.Contains(log, secret) {
			t.Fatalf("the log holds the password %q:\n%s", secret, log)
		}
	}
	if !strings.Contains(log, "[redacted]") {
		t.Fatalf("the debug log shows no redacted field: were the requests logged at all?\n%s", log)
	}
}
