package pep

import "testing"

// TestConfigForms: defaults per node, what a submitted form changes (with
// slixmpp's True for a boolean), the bound on max_items, and the
// preconditions of publish-options ("max" meets the bound).
func TestConfigForms(t *testing.T) {
	if c := defaultConfig("urn:xmpp:bookmarks:1"); c.Access != AccessWhitelist || c.MaxItems != 0 || c.SendLast != SendNever {
		t.Errorf("bookmarks default %+v", c)
	}
	if c := defaultConfig("eu.siacs.conversations.axolotl.bundles:42"); c.Access != AccessOpen {
		t.Errorf("OMEMO bundle default %+v", c)
	}
	c := defaultConfig("urn:xmpp:avatar:data")
	if c.Access != AccessPresence || c.MaxItems != 1 || !c.Persist {
		t.Errorf("avatar default %+v", c)
	}
	if err := c.apply(map[string]string{fieldPersist: "True", fieldAccess: "open", fieldMaxItems: "max"}, 10); err != nil || c.Access != AccessOpen || c.MaxItems != 0 {
		t.Errorf("apply: %v, %+v", err, c)
	}
	if err := c.apply(map[string]string{fieldMaxItems: "11"}, 10); err == nil || err.Error() == "" {
		t.Errorf("max_items past the bound: %v", err)
	}
	if err := c.apply(map[string]string{fieldAccess: "roster"}, 10); err == nil {
		t.Errorf("access_model roster was taken")
	}
	if ok, _ := c.meets(map[string]string{fieldMaxItems: "10", fieldAccess: "open", fieldPersist: "1"}, 10); !ok {
		t.Errorf("max_items 10 does not meet max with a bound of 10")
	}
	if ok, f := c.meets(map[string]string{fieldAccess: "whitelist"}, 10); ok || f != fieldAccess {
		t.Errorf("whitelist meets open: %v %q", ok, f)
	}
	if ok, _ := c.meets(map[string]string{"pubsub#deliver_payloads": "1"}, 10); !ok {
		t.Errorf("a field PEP does not implement is a precondition not met")
	}
}
