package pep

import (
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"jabberd/stanza"
)

// Config is a node's configuration (XEP-0060 §16.4, the fields PEP
// clients use).
type Config struct {
	// Access is the access model: presence (the default: contacts with a
	// presence subscription), open (anyone) or whitelist (the owner only).
	Access string `json:"access"`
	// MaxItems is how many items are kept, oldest dropped first; 0 is
	// "max", the server's bound (pep.max_items).
	MaxItems int `json:"max_items"`
	// Persist keeps the items; without it only the last one is kept (so
	// that it can still be sent to those who come online).
	Persist bool `json:"persist"`
	// NotifyRetract notifies a retraction.
	NotifyRetract bool `json:"notify_retract"`
	// SendLast: never, on_sub, on_sub_and_presence.
	SendLast string `json:"send_last"`
}

// Access models and send_last_published_item values.
const (
	AccessPresence  = "presence"
	AccessOpen      = "open"
	AccessWhitelist = "whitelist"
	SendNever       = "never"
	SendOnSub       = "on_sub"
	SendOnPresence  = "on_sub_and_presence"
)

// Nodes the clients use with a configuration of their own (their
// publish-options usually say the same; a client that sends none still
// gets it).
var nodeDefaults = map[string]func(*Config){
	// XEP-0402: all bookmarks, private to the owner.
	"urn:xmpp:bookmarks:1": privateStore,
	// XEP-0048 through PEP (XEP-0223), the one storage element.
	"storage:bookmarks": func(c *Config) { privateStore(c); c.MaxItems = 1 },
	// XEP-0384: the OMEMO device lists and bundles are read by anyone who
	// wants to write to the account.
	"eu.siacs.conversations.axolotl.devicelist": openNode,
	"urn:xmpp:omemo:2:devices":                  openNode,
	"urn:xmpp:omemo:2:bundles":                  func(c *Config) { openNode(c); c.MaxItems = 0 },
}

func privateStore(c *Config) { c.Access, c.MaxItems, c.SendLast = AccessWhitelist, 0, SendNever }
func openNode(c *Config)     { c.Access = AccessOpen }

// defaultConfig is what a node gets when it is created by a publish.
func defaultConfig(node string) Config {
	c := Config{Access: AccessPresence, MaxItems: 1, Persist: true, NotifyRetract: true, SendLast: SendOnPresence}
	if f := nodeDefaults[node]; f != nil {
		f(&c)
	} else if strings.HasPrefix(node, "eu.siacs.conversations.axolotl.bundles:") {
		openNode(&c)
	}
	return c
}

// Form field names.
const (
	fieldAccess        = "pubsub#access_model"
	fieldMaxItems      = "pubsub#max_items"
	fieldPersist       = "pubsub#persist_items"
	fieldNotifyRetract = "pubsub#notify_retract"
	fieldSendLast      = "pubsub#send_last_published_item"
	nsData             = "jabber:x:data"
	formNodeConfig     = NS + "#node_config"
	formPublishOptions = NS + "#publish-options"
)

// formFields reads the fields of a submitted data form (XEP-0004): var →
// the first value; FORM_TYPE left out.
func formFields(x *etree.Element) map[string]string {
	out := map[string]string{}
	if x == nil {
		return out
	}
	for _, f := range x.SelectElements("field") {
		name := f.SelectAttrValue("var", "")
		if name == "" || name == "FORM_TYPE" {
			continue
		}
		v := ""
		if val := f.SelectElement("value"); val != nil {
			v = strings.TrimSpace(val.Text())
		}
		out[name] = v
	}
	return out
}

// dataForm returns the jabber:x:data child of el, or nil.
func dataForm(el *etree.Element) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == "x" && c.NamespaceURI() == nsData {
			return c
		}
	}
	return nil
}

// apply sets the fields a client submitted on c; fields PEP does not
// implement are left alone. maxItems is the server's bound.
func (c *Config) apply(fields map[string]string, maxItems int) error {
	for name, v := range fields {
		var err error
		switch name {
		case fieldAccess:
			if v != AccessPresence && v != AccessOpen && v != AccessWhitelist {
				return stanza.ErrNotAcceptable.WithText("access_model " + strconv.Quote(v) + " is not implemented: presence, open or whitelist")
			}
			c.Access = v
		case fieldMaxItems:
			c.MaxItems, err = parseMaxItems(v, maxItems)
		case fieldPersist:
			c.Persist, err = parseBool(name, v)
		case fieldNotifyRetract:
			c.NotifyRetract, err = parseBool(name, v)
		case fieldSendLast:
			if v != SendNever && v != SendOnSub && v != SendOnPresence {
				return stanza.ErrNotAcceptable.WithText("send_last_published_item " + strconv.Quote(v) + ": never, on_sub or on_sub_and_presence")
			}
			c.SendLast = v
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parseMaxItems reads max_items: "max" (0) or 1 to the server's bound;
// past the bound policy-violation.
func parseMaxItems(v string, bound int) (int, error) {
	if v == "max" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, stanza.ErrNotAcceptable.WithText("max_items " + strconv.Quote(v) + " is not a positive number or max")
	}
	if n > bound {
		return 0, stanza.ErrPolicyViolation.WithText("max_items " + v + " is past this server's bound of " + strconv.Itoa(bound) + " (pep.max_items)")
	}
	return n, nil
}

// parseBool reads an XEP-0004 boolean (slixmpp writes True and False).
func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, stanza.ErrNotAcceptable.WithText(name + " " + strconv.Quote(v) + " is not a boolean")
}

// meets reports whether c has every value of the publish-options fields
// (XEP-0060 §7.1.5 preconditions); the first field it does not meet is
// named.
func (c Config) meets(fields map[string]string, bound int) (bool, string) {
	for name, v := range fields {
		want := c
		if err := want.apply(map[string]string{name: v}, bound); err != nil {
			return false, name
		}
		if name == fieldMaxItems && c.effectiveMax(bound) == want.effectiveMax(bound) {
			continue
		}
		if want != c {
			return false, name
		}
	}
	return true, ""
}

// effectiveMax is the number of items kept.
func (c Config) effectiveMax(bound int) int {
	switch {
	case !c.Persist:
		return 1
	case c.MaxItems == 0 || c.MaxItems > bound:
		return bound
	}
	return c.MaxItems
}

// form is the node configuration as a data form (type form).
func (c Config) form() *etree.Element {
	x := etree.NewElement("x")
	x.CreateAttr("xmlns", nsData)
	x.CreateAttr("type", "form")
	field := func(name, typ, value string, options ...string) {
		f := x.CreateElement("field")
		f.CreateAttr("var", name)
		f.CreateAttr("type", typ)
		f.CreateElement("value").SetText(value)
		for _, o := range options {
			f.CreateElement("option").CreateElement("value").SetText(o)
		}
	}
	field("FORM_TYPE", "hidden", formNodeConfig)
	field(fieldAccess, "list-single", c.Access, AccessPresence, AccessOpen, AccessWhitelist)
	maxItems := "max"
	if c.MaxItems > 0 {
		maxItems = strconv.Itoa(c.MaxItems)
	}
	field(fieldMaxItems, "text-single", maxItems)
	field(fieldPersist, "boolean", boolValue(c.Persist))
	field(fieldNotifyRetract, "boolean", boolValue(c.NotifyRetract))
	field(fieldSendLast, "list-single", c.SendLast, SendNever, SendOnSub, SendOnPresence)
	return x
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
