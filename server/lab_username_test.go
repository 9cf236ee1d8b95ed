package server_test

import (
	"encoding/base64"
	"net"
	"strings"
	"testing"

	"jabberd/config"
	"jabberd/lab"
)

// TestLabUsernameTagInSASL: a +profile tag in the SASL PLAIN username is
// read. After TLS it can still choose a profile that acts after TLS
// (external-then-fail); one that acted before or in the handshake
// (cert-expired) is recorded as asked for too late, never silently
// dropped. The login itself is alice's either way.
func TestLabUsernameTagInSASL(t *testing.T) {
	for _, c := range []struct {
		tag, profile, by, event string
	}{
		{"external-then-fail", "external-then-fail", lab.ByUsername, "profile external-then-fail (selected by username)"},
		{"cert-expired", "", lab.ByListener, "profile cert-expired asked for by a username tag, not applied: TLS is already up"},
	} {
		t.Run(c.tag, func(t *testing.T) {
			h := start(t, func(cfg *config.Config) { cfg.Lab.ClientChoice = true })
			nc, err := net.DialTimeout("tcp", h.addr, ioTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			cc := &chatClient{t: t, user: "alice", tcp: nc, conn: nc, remote: nc.LocalAddr().String()}
			cc.openStream()
			cc.nextElement()
			cc.send(rfcStartTLS)
			cc.expect(rfcProceed)
			cc.conn = tls13Client(cc, h)
			cc.openStream()
			cc.nextElement()
			cred := base64.StdEncoding.EncodeToString([]byte("\x00alice+" + c.tag + "\x00" + h.password("alice")))
			cc.send("<auth xmlns='" + nsSASL + "' mechanism='PLAIN'>" + cred + "</auth>")
			cc.expect("<success xmlns='" + nsSASL + "'/>")
			cc.send(closeTag)
			tr := h.labTranscript(t, cc.remote)
			s := tr.Summary()
			if s.Profile != c.profile || s.SelectedBy != c.by || s.Identity != "alice@localhost" {
				t.Errorf("profile %q by %q as %q; want %q by %q as alice@localhost", s.Profile, s.SelectedBy, s.Identity, c.profile, c.by)
			}
			found := false
			for _, r := range tr.Records() {
				found = found || (r.Dir == lab.DirEvent && strings.HasPrefix(r.Data, c.event))
			}
			if !found {
				t.Errorf("no event %q: %s", c.event, tr.MarshalJSONL())
			}
		})
	}
}
