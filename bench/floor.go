package bench

import (
	"bytes"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"time"

	"jabberd/internal/workers"
	"jabberd/listener"
)

// ServeFloor is the server half of the floor reference: the least a Go
// server can do for the bench's logins. It makes the same round trips as
// a login in either flow, the same TLS handshake as jabberd as shipped (a
// client certificate asked for, for EXTERNAL) and the same close (the
// answer and close_notify, a half-close, what the client still sends
// drained), and nothing of a server's own: it reads raw bytes up to the
// answer's marker instead of parsing XML, checks PLAIN against the one
// password, keeps no session, no transcript and no log. Its connections
// run on kept goroutines (internal/workers), as jabberd's do, so that
// neither pays a fresh goroutine's stack growth. So a login's CPU over
// the floor's is what jabberd's own code costs, and the floor's over the
// tlsraw reference's server half is what the protocol's round trips cost
// in Go on the machine. It returns when l is closed.
func ServeFloor(l net.Listener, cfg *tls.Config, password string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		workers.Go(func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if floorLogin(c, cfg, password) == nil {
				floorLinger(c)
			}
		})
	}
}

// floorStep is one round trip: read up to marker, check what was read
// (the PLAIN answer), answer, and upgrade to TLS after the answer.
type floorStep struct {
	marker, answer string
	check, upgrade bool
}

const (
	floorHeader  = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='0f1e2d3c4b5a69788796a5b4' from='localhost' version='1.0' xml:lang='en'>"
	legacyHeader = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='0f1e2d3c4b5a69788796a5b4' from='localhost'"
)

// The answers are those jabberd as shipped gives the bench's client (its
// lab transcripts), so that the kernel and the ciphers carry about the
// same bytes. One difference costs the floor: its close writes the last
// answer and close_notify in two writes, jabberd's in one (both then
// leave in one segment with the FIN: listener.JoinFIN).
var (
	rfc6120Floor = []floorStep{
		{marker: "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", answer: "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", upgrade: true},
		{marker: ">", answer: floorHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-256-PLUS</mechanism><mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms><sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/><channel-binding type='tls-server-end-point'/></sasl-channel-binding><register xmlns='http://jabber.org/features/iq-register'/></stream:features>"},
		{marker: "</auth>", answer: "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", check: true},
		{marker: ">", answer: floorHeader + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session><ver xmlns='urn:xmpp:features:rosterver'/><sm xmlns='urn:xmpp:sm:3'/><csi xmlns='urn:xmpp:csi:0'/></stream:features>"},
		{marker: "</iq>", answer: "<iq id='b' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>bench0@localhost/bench-0-0</jid></bind></iq>"},
		{marker: "</stream:stream>", answer: "</stream:stream>"},
	}
	legacyFloor = []floorStep{
		{marker: "<tls:starttls/>", answer: "</stream:stream>", upgrade: true},
		{marker: ">", answer: legacyHeader + " xmlns:sasl='http://www.iana.org/assignments/sasl-mechanisms'><sasl:mechanisms><sasl:mechanism>PLAIN</sasl:mechanism></sasl:mechanisms>"},
		{marker: "</sasl:auth>", answer: "<sasl:success/>", check: true},
		{marker: "</iq>", answer: "<iq id='s' type='result'/>"},
		{marker: "</stream:stream>", answer: "</stream:stream>"},
	}
)

var errFloorRefused = errors.New("floor: wrong password")

// floorLogin runs one login on c; nil when it ended with the client's
// close answered, close_notify included.
func floorLogin(c net.Conn, cfg *tls.Config, password string) error {
	in := &floorReader{r: c, buf: make([]byte, 0, 2048)}
	head, err := in.until(">")
	if err != nil {
		return err
	}
	steps, first := rfc6120Floor, floorHeader+"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"
	if !bytes.Contains(head, []byte("version='1.0'")) {
		steps, first = legacyFloor, legacyHeader+" xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt'>"
	}
	var out io.Writer = c
	if _, err := io.WriteString(out, first); err != nil {
		return err
	}
	for i, s := range steps {
		got, err := in.until(s.marker)
		if err != nil {
			return err
		}
		if s.check && !plainMatches(got[:len(got)-len(s.marker)], password) {
			return errFloorRefused
		}
		if i == len(steps)-1 {
			listener.JoinFIN(c) // the last words leave with the FIN, as jabberd's do
		}
		if _, err := io.WriteString(out, s.answer); err != nil {
			return err
		}
		if s.upgrade {
			tc := tls.Server(c, cfg)
			if err := tc.Handshake(); err != nil {
				return err
			}
			in.r, in.buf, out = tc, in.buf[:0], tc
		}
	}
	if tc, ok := out.(*tls.Conn); ok { // both flows upgrade
		return tc.CloseWrite() // close_notify
	}
	return nil
}

// plainMatches reports whether the base64 PLAIN answer ending got (after
// its element's '>') carries password.
func plainMatches(got []byte, password string) bool {
	b64 := got[bytes.LastIndexByte(got, '>')+1:]
	plain := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
	n, err := base64.StdEncoding.Decode(plain, b64)
	if err != nil {
		return false
	}
	parts := bytes.SplitN(plain[:n], []byte{0}, 3)
	return len(parts) == 3 && subtle.ConstantTimeCompare(parts[2], []byte(password)) == 1
}

// floorLinger half-closes c and drains the client's close_notify and
// end, as jabberd's close does.
func floorLinger(c net.Conn) {
	tcp, ok := c.(*net.TCPConn)
	if !ok || tcp.CloseWrite() != nil {
		return
	}
	_ = tcp.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, _ = io.CopyN(io.Discard, tcp, 256<<10)
}

// floorReader reads raw bytes until a marker, keeping what follows it.
type floorReader struct {
	r   io.Reader
	buf []byte
}

// until returns the input up to and including the first marker and
// consumes it.
func (f *floorReader) until(marker string) ([]byte, error) {
	for {
		if i := bytes.Index(f.buf, []byte(marker)); i >= 0 {
			got := bytes.Clone(f.buf[:i+len(marker)])
			f.buf = f.buf[:copy(f.buf, f.buf[i+len(marker):])]
			return got, nil
		}
		if len(f.buf) >= 16<<10 {
			return nil, errors.New("floor: no " + marker + " in 16 KiB")
		}
		if len(f.buf) == cap(f.buf) {
			f.buf = append(f.buf, 0)[:len(f.buf)]
		}
		n, err := f.r.Read(f.buf[len(f.buf):cap(f.buf)])
		f.buf = f.buf[:len(f.buf)+n]
		if err != nil && n == 0 {
			return nil, err
		}
	}
}
