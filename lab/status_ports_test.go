package lab_test

// Per-profile ports in GET /api/profiles and on the index page
// (StatusOptions.Ports; fixture in status_many_test.go).

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"jabberd/lab"
)

func TestStatusProfilePorts(t *testing.T) {
	ports := map[string][]lab.PortInfo{
		"strip-starttls": {{Protocol: "xmpp", Address: stripPort}, {Protocol: "irc", Address: "127.0.0.1:5400"}},
		"cert-expired":   {{Protocol: "xmpp", Address: "[::]:5304"}},
	}
	f := newManyFixture(t, 10, lab.StatusOptions{Ports: ports})
	r := getOK(t, f.srv, "/api/profiles", jsonType)
	got := decode[[]lab.ProfileInfo](t, r, "/api/profiles")
	for _, p := range got {
		if want := ports[p.Name]; !slices.Equal(p.Ports, want) {
			t.Errorf("profile %s: ports %+v, want %+v", p.Name, p.Ports, want)
		}
	}
	// A profile without ports has no "ports" key; one with them has
	// protocol and address.
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.body), &raw); err != nil {
		t.Fatal(err)
	}
	for _, p := range raw {
		var name string
		_ = json.Unmarshal(p["name"], &name)
		_, has := p["ports"]
		if has != (ports[name] != nil) {
			t.Errorf("profile %s: ports key present %v", name, has)
		}
	}
	if !strings.Contains(r.body, `"ports": [
      {
        "protocol": "xmpp",
        "address": "127.0.0.1:5300"
      },`) {
		t.Errorf("ports not shaped [{protocol, address}]:\n%s", r.body)
	}

	// The index lists them, each a link to its connections.
	page := getOK(t, f.srv, "/", htmlType).body
	strip := between(t, page, `<span class="ports" id="ports-strip-starttls">`, "</span>")
	for _, want := range []string{
		`<a class="port" data-protocol="xmpp" href="/?listener=127.0.0.1%3a5300">xmpp 127.0.0.1:5300</a>`,
		`<a class="port" data-protocol="irc" href="/?listener=127.0.0.1%3a5400">irc 127.0.0.1:5400</a>`,
	} {
		if !strings.Contains(strip, want) {
			t.Errorf("strip-starttls ports lack %s:\n%s", want, strip)
		}
	}
	if strings.Contains(page, `id="ports-fail-starttls"`) {
		t.Errorf("a profile without ports lists some")
	}
	// The link of a port bound on every address ([::]:5304) finds the
	// connections that reached that port.
	link := between(t, page, `<a class="port" data-protocol="xmpp" href="/?listener=`, `"`)
	if _, err := url.QueryUnescape(link); err != nil {
		t.Fatal(err)
	}
	list := decode[lab.ConnectionList](t, getOK(t, f.srv, "/api/connections?listener="+url.QueryEscape("[::]:5304"), jsonType), "[::]:5304")
	if want := f.expect(func(o outcome) bool { return o.local == certPort }); !slices.Equal(summaryIDs(list.Connections), want) || len(want) == 0 {
		t.Errorf("listener=[::]:5304: %v, want %v", summaryIDs(list.Connections), want)
	}
	// The form offers the ports as listener choices.
	if !strings.Contains(page, `<option value="127.0.0.1:5400">`) || !strings.Contains(page, `<option value="[::]:5304">`) {
		t.Errorf("the listener choices lack the per-profile ports")
	}
}
