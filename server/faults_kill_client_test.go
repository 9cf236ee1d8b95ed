package server_test

// The client TestKilledClientsLeaveNoTrace (faults_kill_test.go) kills: where
// it dies (killPoint, killPlan), and the client that follows a plan over a
// real socket and dies there (faultClient, with cutConn and countConn).

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ---- killed clients ----

// killPoint is where a client dies.
type killPoint int

const (
	killSilent        killPoint = iota // connected, nothing sent
	killMidHeader                      // part of the first stream header
	killAfterHeader                    // the header (and the server's answer)
	killAfterStartTLS                  // the STARTTLS request (and its answer), no ClientHello
	killMidHandshake                   // part of the client's TLS handshake flights
	killMidAuth                        // over TLS, part of an <auth> element
	killAfterAuth                      // SASL success, no bind or session start
	killMidStanza                      // bound, part of a stanza
	numKillPoints
)

var killPointNames = [numKillPoints]string{
	"silent", "mid-header", "after-header", "after-starttls",
	"mid-handshake", "mid-auth", "after-auth", "mid-stanza",
}

func (k killPoint) String() string { return killPointNames[k] }

// killPlan is one client's life, drawn from the seeded generator before any
// client runs, so that a seed always gives the same plans.
type killPlan struct {
	n      int
	point  killPoint
	legacy bool    // XEP-0035 / XEP-0034 / jabber:iq:auth; else RFC 6120
	reset  bool    // SetLinger(0) before Close: an RST instead of a FIN
	hurry  bool    // die without reading the answer to the last complete request
	extra  bool    // after-auth: restart (RFC) or an iq:auth get (legacy) first; mid-stanza: presence and a message first
	frac   float64 // where a partial write is cut
}

func (p killPlan) String() string {
	d := "rfc6120"
	if p.legacy {
		d = "legacy"
	}
	return fmt.Sprintf("client %d (%s %s reset=%v hurry=%v extra=%v cut=%.3f)", p.n, d, p.point, p.reset, p.hurry, p.extra, p.frac)
}

// cutAt is a cut strictly inside a write of n bytes: at least one byte
// goes out and at least one does not.
func cutAt(frac float64, n int) int {
	return 1 + int(frac*float64(n-1))
}

// saslHeaderLegacy opens a legacy stream over TLS asking for XEP-0034 SASL.
const saslHeaderLegacy = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:sasl='http://www.iana.org/assignments/sasl-mechanisms' to='localhost'>"

// faultClient runs one plan on a worker goroutine: it reports what went
// wrong instead of failing the test.
type faultClient struct {
	h      *harness
	tcp    *net.TCPConn
	conn   net.Conn // tcp, then TLS over it
	remote string   // our address as the server logs it
	plan   killPlan
	cred   string // SASL PLAIN initial response for alice
	hsLen  int    // bytes the client writes in a whole TLS handshake
	counts *faultCounts
}

// faultCounts are the states clients saw the server reach.
type faultCounts struct {
	tls, authenticated, bound atomic.Int64
}

func (c *faultClient) kill() {
	if c.plan.reset {
		_ = c.tcp.SetLinger(0)
	}
	_ = c.tcp.Close()
}

func (c *faultClient) write(s string) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := c.conn.Write([]byte(s)); err != nil {
		return fmt.Errorf("write %q: %w", s, err)
	}
	return nil
}

// readUntil reads until what came ends with one of the suffixes. The server
// sends nothing past the answer until the client speaks again, so nothing
// the next step needs (a TLS handshake) is read here.
func (c *faultClient) readUntil(suffixes ...string) (string, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	var b []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.conn.Read(buf)
		b = append(b, buf[:n]...)
		s := string(b)
		if strings.Contains(s, "<stream:error") {
			return s, fmt.Errorf("waiting for %q: stream error %q", suffixes, s)
		}
		for _, suf := range suffixes {
			if strings.HasSuffix(s, suf) {
				return s, nil
			}
		}
		if err != nil {
			return s, fmt.Errorf("waiting for %q: got %q, then %w", suffixes, s, err)
		}
	}
}

// step sends req and, unless this is the client's last request and it
// hurries, reads the answer up to one of the suffixes. It reports whether
// the client lives on.
func (c *faultClient) step(last killPoint, req string, suffixes ...string) (string, bool, error) {
	if err := c.write(req); err != nil {
		return "", false, err
	}
	if c.plan.point == last && c.plan.hurry {
		return "", false, nil
	}
	got, err := c.readUntil(suffixes...)
	return got, err == nil && c.plan.point != last, err
}

// cutConn passes writes through until left bytes have gone, then kills the
// connection: the handshake in progress dies part-way through.
type cutConn struct {
	net.Conn
	left int
	kill func()
}

var errCut = errors.New("connection killed by the test")

func (c *cutConn) Write(b []byte) (int, error) {
	if len(b) < c.left {
		c.left -= len(b)
		return c.Conn.Write(b)
	}
	n, _ := c.Conn.Write(b[:c.left])
	c.left = 0
	c.kill()
	return n, errCut
}

// countConn counts what is written through it.
type countConn struct {
	net.Conn
	n int
}

func (c *countConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.n += n
	return n, err
}

// run follows the plan and kills the connection where it says.
func (c *faultClient) run() error {
	defer c.kill()
	p := c.plan
	if p.point == killSilent {
		return nil
	}
	header, headerEnd := rfcHeader, "</stream:features>"
	if p.legacy {
		header, headerEnd = legacyHeader, "from='localhost'>"
	}
	if p.point == killMidHeader {
		return c.write(header[:cutAt(p.frac, len(header))])
	}
	if _, more, err := c.step(killAfterHeader, header, headerEnd); !more {
		return err
	}
	startTLS, proceed := rfcStartTLS, rfcProceed
	if p.legacy {
		startTLS, proceed = legacyStartTLS, closeTag
	}
	if _, more, err := c.step(killAfterStartTLS, startTLS, proceed); !more {
		return err
	}

	var under net.Conn = c.tcp
	if p.point == killMidHandshake {
		under = &cutConn{Conn: c.tcp, left: cutAt(p.frac, c.hsLen), kill: c.kill}
	}
	tc := tls.Client(under, c.h.tlsConfig(nil))
	_ = c.tcp.SetDeadline(time.Now().Add(ioTimeout))
	err := tc.Handshake()
	if p.point == killMidHandshake {
		if !errors.Is(err, errCut) {
			return fmt.Errorf("handshake cut after %d of %d bytes ended with %v", cutAt(p.frac, c.hsLen), c.hsLen, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	_ = c.tcp.SetDeadline(time.Time{})
	c.conn = tc
	c.counts.tls.Add(1)

	// SASL PLAIN.
	header, headerEnd = rfcHeader, "</stream:features>"
	auth := "<auth xmlns='" + nsSASL + "' mechanism='PLAIN'>" + c.cred + "</auth>"
	success := "<success xmlns='" + nsSASL + "'/>"
	if p.legacy {
		header, headerEnd = saslHeaderLegacy, "</sasl:mechanisms>"
		auth = "<sasl:auth mechanism='PLAIN'>" + c.cred + "</sasl:auth>"
		success = "<sasl:success/>"
	}
	if p.point == killMidAuth {
		if err := c.write(header); err != nil {
			return err
		}
		if !p.hurry {
			if _, err := c.readUntil(headerEnd); err != nil {
				return err
			}
		}
		return c.write(auth[:cutAt(p.frac, len(auth))])
	}
	if _, _, err := c.step(-1, header, headerEnd); err != nil {
		return err
	}
	if p.point == killAfterAuth && !p.extra {
		if _, _, err := c.step(killAfterAuth, auth, success); err != nil || p.hurry {
			return err
		}
		c.counts.authenticated.Add(1)
		return nil
	}
	if _, _, err := c.step(-1, auth, success); err != nil {
		return err
	}
	c.counts.authenticated.Add(1)

	// Restart and bind (RFC 6120), or session start (legacy).
	resource := "k" + strconv.Itoa(p.n)
	var bind, bound string
	if p.legacy {
		if p.point == killAfterAuth { // extra: ask what to send, then die
			_, _, err := c.step(killAfterAuth, "<iq id='a1' type='get'><query xmlns='jabber:iq:auth'/></iq>", "</iq>")
			return err
		}
		bind, bound = "<iq id='a2' type='set'><query xmlns='jabber:iq:auth'><username>alice</username><resource>"+resource+"</resource></query></iq>", "/>"
	} else {
		if _, more, err := c.step(killAfterAuth, rfcHeader, "</stream:features>"); !more {
			return err
		}
		bind, bound = "<iq type='set' id='bind1'><bind xmlns='"+nsBind+"'><resource>"+resource+"</resource></bind></iq>", "</iq>"
	}
	// From here the plan is mid-stanza.
	if err := c.write(bind); err != nil {
		return err
	}
	if !p.hurry {
		got, err := c.readUntil(bound)
		if err != nil {
			return err
		}
		if !strings.Contains(got, "type='result'") {
			return fmt.Errorf("session start refused: %q", got)
		}
		c.counts.bound.Add(1)
	}
	if p.extra {
		// Available, and a message for alice: the other bound clients
		// (available or dying) get them, and so does the offline store.
		if err := c.write("<presence/><message to='alice@localhost' type='chat' id='x" + resource + "'><body>hi</body></message>"); err != nil {
			return err
		}
	}
	msg := "<message to='bob@localhost' type='chat' id='h" + resource + "'><body>never finished</body></message>"
	return c.write(msg[:cutAt(p.frac, len(msg))])
}
