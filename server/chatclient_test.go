package server_test

// A small XMPP client for the chat end-to-end tests: the RFC 6120 flow
// (STARTTLS, SASL PLAIN, restart, resource binding) over loopback TLS, then
// stanzas read one at a time with the project's own tokenizer, each read
// under a deadline.

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"

	"jabberd/stream"
)

const (
	nsStreams = "urn:ietf:params:xml:ns:xmpp-streams"
	nsSASL    = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind    = "urn:ietf:params:xml:ns:xmpp-bind"
	nsRoster  = "jabber:iq:roster"
	nsPing    = "urn:xmpp:ping"
	nsDelay   = "urn:xmpp:delay"
)

// chatClient is one logged-in, bound XMPP session.
type chatClient struct {
	t      testing.TB
	user   string
	tcp    net.Conn
	conn   net.Conn // the TLS connection over tcp
	r      *stream.Reader
	jid    string // bound full JID
	remote string // our address as the server logs it (its "remote" field)
	ids    atomic.Int64
}

// password returns a configured user's password, or for an account a
// test made itself, extraPassword(user).
func (h *harness) password(user string) string {
	for _, u := range h.cfg.Users {
		if u.Name == user {
			return u.Password
		}
	}
	return extraPassword(user)
}

// extraPassword is the password tests give the accounts they add.
func extraPassword(user string) string { return user + "-test-password" }

// login connects as user (configured password) and binds resource ("":
// it stops at the features after SASL).
func (h *harness) login(t testing.TB, user, resource string) *chatClient {
	t.Helper()
	return h.loginOn(t, h.dialChat(t, user), resource)
}

// loginOn is login on a client already dialled (dialChat), whose tcp a
// test may have wrapped.
func (h *harness) loginOn(t testing.TB, c *chatClient, resource string) *chatClient {
	t.Helper()
	user := c.user

	// Plaintext stream: features must offer STARTTLS. The server sends
	// nothing after <proceed/> before our ClientHello, so the tokenizer
	// cannot have buffered TLS bytes.
	c.openStream()
	if f := c.nextElement(); f.Tag != "features" || childNS(f, "starttls", "urn:ietf:params:xml:ns:xmpp-tls") == nil {
		t.Fatalf("%s: plaintext features without STARTTLS: %s", user, stream.Marshal(f))
	}
	c.send(rfcStartTLS)
	c.expect(rfcProceed)
	tc := tls13Client(c, h)
	c.conn = tc

	// TLS stream: SASL PLAIN.
	c.openStream()
	f := c.nextElement()
	mechs := childNS(f, "mechanisms", nsSASL)
	if mechs == nil || !hasMechanism(mechs, "PLAIN") {
		t.Fatalf("%s: features after TLS do not offer PLAIN: %s", user, stream.Marshal(f))
	}
	cred := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + h.password(user)))
	c.send("<auth xmlns='" + nsSASL + "' mechanism='PLAIN'>" + cred + "</auth>")
	c.expect("<success xmlns='" + nsSASL + "'/>")

	// Restarted stream: bind.
	c.openStream()
	if f := c.nextElement(); childNS(f, "bind", nsBind) == nil {
		t.Fatalf("%s: features after SASL do not offer bind: %s", user, stream.Marshal(f))
	}
	if resource == "" {
		return c // the caller binds or resumes
	}
	c.send("<iq type='set' id='bind1'><bind xmlns='" + nsBind + "'><resource>" + resource + "</resource></bind></iq>")
	want := user + "@localhost/" + resource
	c.expect("<iq id='bind1' type='result'><bind xmlns='" + nsBind + "'><jid>" + want + "</jid></bind></iq>")
	c.jid = want
	return c
}

// dialChat connects a chat client for user, closed when the test ends.
func (h *harness) dialChat(t testing.TB, user string) *chatClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", h.addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", h.addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &chatClient{t: t, user: user, tcp: nc, conn: nc, remote: nc.LocalAddr().String()}
}

func tls13Client(c *chatClient, h *harness) net.Conn {
	c.t.Helper()
	cl := &client{t: c.t, tcp: c.tcp, conn: c.tcp}
	cs := cl.upgrade(h.tlsConfig(nil))
	if !cs.HandshakeComplete || len(cs.VerifiedChains) == 0 {
		c.t.Fatalf("%s: TLS handshake did not verify the server", c.user)
	}
	return cl.conn
}

func hasMechanism(mechs *etree.Element, name string) bool {
	for _, m := range mechs.SelectElements("mechanism") {
		if strings.TrimSpace(m.Text()) == name {
			return true
		}
	}
	return false
}

// childNS returns el's child named local in namespace ns.
func childNS(el *etree.Element, local, ns string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// openStream sends an RFC 6120 header, starts a new tokenizer and reads
// the server's header.
func (c *chatClient) openStream() {
	c.t.Helper()
	c.send(rfcHeader)
	c.r = stream.NewReader(c.conn, stream.Limits{}, 4096)
	ev, err := c.nextEvent()
	if err != nil || ev.Kind != stream.KindHeader {
		c.t.Fatalf("%s: want the server's stream header, got %v %v", c.user, ev.Kind, err)
	}
	if ev.Header.Attr("from") != "localhost" || ev.Header.Attr("version") != "1.0" || ev.Header.Space != "http://etherx.jabber.org/streams" {
		c.t.Fatalf("%s: unexpected server header %v", c.user, ev.Header.Attrs)
	}
}

// send writes s under a write deadline; a failure fails the test.
func (c *chatClient) send(s string) {
	c.t.Helper()
	if err := c.write(s); err != nil {
		c.t.Fatalf("%s: write %q: %v", c.user, s, err)
	}
}

// write writes s under a write deadline (for goroutines other than the test's).
func (c *chatClient) write(s string) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	_, err := io.WriteString(c.conn, s)
	return err
}

// nextEvent reads the next stream event under a read deadline.
func (c *chatClient) nextEvent() (stream.Event, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	return c.r.Next()
}

// nextElement reads the next depth-1 element; anything else fails the test.
func (c *chatClient) nextElement() *etree.Element {
	c.t.Helper()
	ev, err := c.nextEvent()
	if err != nil {
		c.t.Fatalf("%s: waiting for a stanza: %v", c.user, err)
	}
	if ev.Kind != stream.KindElement {
		c.t.Fatalf("%s: waiting for a stanza, got the stream's %v", c.user, ev.Kind)
	}
	return ev.Element
}

// sidRe is the XEP-0359 <stanza-id/> the server adds to a message it
// archived (XEP-0313).
var sidRe = regexp.MustCompile(`<stanza-id xmlns='urn:xmpp:sid:0' by='[^']*' id='[0-9]+'/>`)

// matches compares a received stanza with a wanted one (see pattern). The
// archive's <stanza-id/> is compared only when want names one: the tests
// of routing leave it out, the archive's tests spell it (with {*} for the
// ID).
func matches(want, got string) bool {
	if !strings.Contains(want, "<stanza-id ") {
		got = sidRe.ReplaceAllString(got, "")
	}
	return pattern(want).MatchString(got)
}

// pattern turns a wanted stanza into a regexp: {*} matches any attribute
// value or text without quotes or markup.
func pattern(want string) *regexp.Regexp {
	q := regexp.QuoteMeta(want)
	q = strings.ReplaceAll(q, regexp.QuoteMeta("{*}"), `[^'<>]*`)
	return regexp.MustCompile("^" + q + "$")
}

// expect reads the next stanza and compares its serialization with want
// ({*} for variable parts); it returns the stanza.
func (c *chatClient) expect(want string) *etree.Element {
	c.t.Helper()
	el := c.nextElement()
	if got := string(stream.Marshal(el)); !matches(want, got) {
		c.t.Fatalf("%s received\n  %s\nwant\n  %s", c.user, got, want)
	}
	return el
}

// expectSet reads len(wants) stanzas and checks they are wants in any order.
func (c *chatClient) expectSet(wants ...string) []*etree.Element {
	c.t.Helper()
	left := append([]string(nil), wants...)
	var got []*etree.Element
	for range wants {
		el := c.nextElement()
		s := string(stream.Marshal(el))
		found := -1
		for i, w := range left {
			if matches(w, s) {
				found = i
				break
			}
		}
		if found < 0 {
			c.t.Fatalf("%s received\n  %s\nwant one of\n  %s", c.user, s, strings.Join(left, "\n  "))
		}
		left = append(left[:found], left[found+1:]...)
		got = append(got, el)
	}
	return got
}

// id returns a fresh stanza id.
func (c *chatClient) id(prefix string) string {
	return prefix + strconv.FormatInt(c.ids.Add(1), 10)
}

// ping pings the server and requires the answer to be the very next stanza:
// it proves nothing else was written to this stream before the answer.
func (c *chatClient) ping() {
	c.t.Helper()
	id := c.id("ping")
	c.send("<iq type='get' id='" + id + "' to='localhost'><ping xmlns='" + nsPing + "'/></iq>")
	c.expect("<iq id='" + id + "' type='result' from='localhost' to='" + c.jid + "'/>")
}

// rosterGet asks for the roster (with ver when not empty) and returns the
// answer's query (nil for an empty result).
func (c *chatClient) rosterGet(ver string) (*etree.Element, string) {
	c.t.Helper()
	id := c.id("roster")
	q := "<query xmlns='" + nsRoster + "'/>"
	if ver != "" {
		q = "<query xmlns='" + nsRoster + "' ver='" + ver + "'/>"
	}
	c.send("<iq type='get' id='" + id + "'>" + q + "</iq>")
	el := c.nextElement()
	if el.Tag != "iq" || el.SelectAttrValue("id", "") != id || el.SelectAttrValue("type", "") != "result" ||
		el.SelectAttrValue("to", "") != c.jid {
		c.t.Fatalf("%s: roster get %s answered with %s", c.user, id, stream.Marshal(el))
	}
	return childNS(el, "query", nsRoster), id
}

// ackPush answers a roster push (RFC 6121 §2.1.6: the client acknowledges).
func (c *chatClient) ackPush(push *etree.Element) {
	c.t.Helper()
	c.send("<iq type='result' id='" + push.SelectAttrValue("id", "") + "'/>")
}

// closeStream ends the stream politely and waits for the server's close.
func (c *chatClient) closeStream() {
	c.t.Helper()
	c.send(closeTag)
	ev, err := c.nextEvent()
	if err != nil || ev.Kind != stream.KindClose {
		c.t.Fatalf("%s: want the server's </stream:stream>, got %v %v", c.user, ev.Kind, err)
	}
	c.expectEOF()
}

// expectEOF requires the server to close the connection with nothing more.
func (c *chatClient) expectEOF() {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	b, err := io.ReadAll(c.conn)
	if err == nil {
		err = io.EOF
	}
	if len(b) != 0 || !(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
		c.t.Fatalf("%s: want the connection closed; got %q, %v", c.user, b, err)
	}
}

// drain reads stanzas until the stream ends, without failing the test (for
// goroutines): it returns them and how the stream ended ("close" for the
// server's </stream:stream>, else the read error).
func (c *chatClient) drain(each func(*etree.Element) bool) (els []*etree.Element, end string) {
	for {
		ev, err := c.nextEvent()
		switch {
		case err != nil:
			return els, err.Error()
		case ev.Kind == stream.KindClose:
			return els, "close"
		case ev.Kind == stream.KindElement:
			els = append(els, ev.Element)
			if each != nil && !each(ev.Element) {
				return els, "stopped"
			}
		default:
			return els, fmt.Sprintf("unexpected %v", ev.Kind)
		}
	}
}

// chatMatch selects the log entries of c's connection.
func (h *harness) chatMatch(c *chatClient, msg string) match {
	return match{msg: msg, fields: map[string]string{"remote": c.remote}}
}

// available sends initial presence (with a priority if not "") and reads
// the copy the server sends back to the session itself (RFC 6121 §4.2.2),
// addressed to it like every presence copy.
func (c *chatClient) available(priority string) {
	c.t.Helper()
	if priority == "" {
		c.send("<presence/>")
		c.expect("<presence from='" + c.jid + "' to='" + c.jid + "'/>")
		return
	}
	c.send("<presence><priority>" + priority + "</priority></presence>")
	c.expect("<presence from='" + c.jid + "' to='" + c.jid + "'><priority>" + priority + "</priority></presence>")
}
