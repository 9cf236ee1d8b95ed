package muc

import (
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// The room configuration form (XEP-0004 in XEP-0045's muc#roomconfig).

func (r *Room) form(q *etree.Element) {
	x := q.CreateElement("x")
	x.CreateAttr("xmlns", NSData)
	x.CreateAttr("type", "form")
	x.CreateElement("title").SetText("Configuration of " + r.jid)
	field(x, "FORM_TYPE", "hidden", "", formType)
	field(x, "muc#roomconfig_roomname", "text-single", "Name", r.cfg.Name)
	field(x, "muc#roomconfig_roomdesc", "text-single", "Description", r.cfg.Description)
	field(x, "muc#roomconfig_persistentroom", "boolean", "Persistent (kept when empty and across restarts)", b01(r.cfg.Persistent))
	field(x, "muc#roomconfig_publicroom", "boolean", "Listed in the directory", b01(r.cfg.Public))
	field(x, "muc#roomconfig_membersonly", "boolean", "Members only", b01(r.cfg.MembersOnly))
	field(x, "muc#roomconfig_moderatedroom", "boolean", "Moderated (visitors may not speak)", b01(r.cfg.Moderated))
	field(x, "muc#roomconfig_passwordprotectedroom", "boolean", "Password protected", b01(r.cfg.PasswordProtected))
	field(x, "muc#roomconfig_roomsecret", "text-private", "Password", "")
	field(x, "muc#roomconfig_changesubject", "boolean", "Participants may change the subject", b01(r.cfg.ChangeSubject))
	f := field(x, "muc#roomconfig_whois", "list-single", "Who may see real JIDs", r.cfg.Whois)
	for _, v := range []string{"moderators", "anyone"} {
		o := f.CreateElement("option")
		o.CreateAttr("label", v)
		o.CreateElement("value").SetText(v)
	}
	if r.s.opt.Archive != nil {
		field(x, "muc#roomconfig_enablelogging", "boolean", "Keep the messages in the room's archive (XEP-0313)", b01(r.cfg.Logged))
	}
	max := r.cfg.MaxUsers
	if max == 0 {
		max = r.s.opt.MaxOccupants
	}
	field(x, "muc#roomconfig_maxusers", "text-single", "Most occupants (at most "+strconv.Itoa(r.s.opt.MaxOccupants)+")", strconv.Itoa(max))
}

func field(x *etree.Element, v, typ, label, value string) *etree.Element {
	f := x.CreateElement("field")
	f.CreateAttr("var", v)
	f.CreateAttr("type", typ)
	if label != "" {
		f.CreateAttr("label", label)
	}
	f.CreateElement("value").SetText(value)
	return f
}

func b01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// parseForm applies a submitted form to cfg; a field it does not know is
// ignored, a bad value is an error.
func parseForm(cfg Config, x *etree.Element) (Config, string) {
	boolean := func(s string) (bool, bool) {
		switch strings.TrimSpace(s) {
		case "1", "true":
			return true, true
		case "0", "false", "":
			return false, true
		}
		return false, false
	}
	secret, secretSet := "", false
	for _, f := range x.SelectElements("field") {
		v := ""
		if val := f.SelectElement("value"); val != nil {
			v = val.Text()
		}
		name := f.SelectAttrValue("var", "")
		var target *bool
		switch name {
		case "FORM_TYPE":
			if v != formType {
				return cfg, "the form is not " + formType
			}
			continue
		case "muc#roomconfig_roomname":
			cfg.Name = v
			continue
		case "muc#roomconfig_roomdesc":
			cfg.Description = v
			continue
		case "muc#roomconfig_roomsecret":
			secret, secretSet = v, true
			continue
		case "muc#roomconfig_whois":
			if v != "moderators" && v != "anyone" {
				return cfg, "whois is moderators or anyone"
			}
			cfg.Whois = v
			continue
		case "muc#roomconfig_maxusers":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				return cfg, "maxusers is a number"
			}
			cfg.MaxUsers = n
			continue
		case "muc#roomconfig_persistentroom":
			target = &cfg.Persistent
		case "muc#roomconfig_publicroom":
			target = &cfg.Public
		case "muc#roomconfig_membersonly":
			target = &cfg.MembersOnly
		case "muc#roomconfig_moderatedroom":
			target = &cfg.Moderated
		case "muc#roomconfig_passwordprotectedroom":
			target = &cfg.PasswordProtected
		case "muc#roomconfig_changesubject":
			target = &cfg.ChangeSubject
		case "muc#roomconfig_enablelogging":
			target = &cfg.Logged
		default:
			continue
		}
		b, ok := boolean(v)
		if !ok {
			return cfg, name + " is a boolean"
		}
		*target = b
	}
	if secretSet {
		cfg.Password = secret
	}
	if cfg.PasswordProtected && cfg.Password == "" {
		return cfg, "a password-protected room needs a password"
	}
	return cfg, ""
}
