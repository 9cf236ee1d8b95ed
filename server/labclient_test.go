package server_test

// Two XMPP clients for the lab's end-to-end tests (lab_test.go), written
// the way client code is written rather than as scripted exchanges: each
// reads what the server offers and decides. The careful client does what
// RFC 6120 and RFC 7590 ask and stops on every fault; the naive client has
// the classic mistakes, all of them, and falls for every profile. Both keep
// one read buffer over the socket, as real clients do: whether that buffer
// survives STARTTLS is one of the differences.
//
// This file holds what the two share: the account, the run record, the
// connection with its read buffer (labWire) and the parsing of the
// server's stream. The clients are in labclient_careful_test.go and
// labclient_naive_test.go.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
)

const labNSTLS = "urn:ietf:params:xml:ns:xmpp-tls"

// labAccount is who a lab client logs in as and where.
type labAccount struct {
	addr string
	// user is the SASL username, perhaps with a profile tag
	// (alice+strip-starttls); from is the JID in the stream header.
	user, password, from string
	// serverName is the SNI and the name the certificate must carry.
	serverName string
	roots      *x509.CertPool   // the CA the careful client trusts
	cert       *tls.Certificate // a client certificate, for EXTERNAL
	// handshakeTimeout bounds the careful client's TLS handshake.
	handshakeTimeout time.Duration
}

// labConnStats is one TCP connection of a run, as the client saw it.
type labConnStats struct {
	local string // the client's address: the transcript's remote
	// sent and received count application bytes: XML in plaintext and
	// what TLS carried, not the handshake.
	sent, received int64
	// cleanClose: the client sent </stream:stream>, read the server's and
	// then EOF, so that every byte either side wrote was read.
	cleanClose bool
}

// labRun is what a client did and saw, for the tests' wire assertions.
type labRun struct {
	conns []*labConnStats
	// features are the <stream:features/> the client acted on, raw.
	features []string
	// afterProceed is what the client had buffered past <proceed/> when
	// it started TLS: the careful client discarded it, the naive one kept
	// it.
	afterProceed []byte
	tls          *tls.ConnectionState // the last completed handshake
	handshake    time.Duration        // how long the last handshake took
	mechanisms   []string             // SASL mechanisms tried, in order
	credentials  []string             // initial responses sent that carry the password
	jid          string               // the bound JID, when it got that far
	err          error                // why the client stopped short of a session

	// tlsDue: the server said <proceed/>, so a handshake was due, whether
	// the client made one or answered in plaintext instead.
	tlsDue bool
}

// labWire is one connection with its read buffer.
type labWire struct {
	tcp  net.Conn
	conn net.Conn // tcp, then TLS over it
	buf  []byte   // read from conn and not parsed yet
	st   *labConnStats
}

// labItem is one top-level unit of the server's stream.
type labItem struct {
	kind string // "header", "element" or "close"
	raw  string
	el   *etree.Element
}

func dialLab(run *labRun, addr string) (*labWire, error) {
	nc, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return nil, err
	}
	st := &labConnStats{local: nc.LocalAddr().String()}
	run.conns = append(run.conns, st)
	return &labWire{tcp: nc, conn: nc, st: st}, nil
}

func (w *labWire) send(s string) error {
	_ = w.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	n, err := io.WriteString(w.conn, s)
	w.st.sent += int64(n)
	return err
}

// fill reads what the server has sent, whatever its size: one read can
// carry more than the element the client waits for.
func (w *labWire) fill() error {
	_ = w.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	b := make([]byte, 4096)
	n, err := w.conn.Read(b)
	w.buf = append(w.buf, b[:n]...)
	w.st.received += int64(n)
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// next returns the next header, element or closing tag, parsed from the
// buffer first.
func (w *labWire) next() (labItem, error) {
	for {
		if it, n, ok := parseLabItem(w.buf); ok {
			w.buf = w.buf[n:]
			return it, nil
		}
		if err := w.fill(); err != nil {
			return labItem{}, err
		}
	}
}

// nextElement skips stream headers up to the next element; the server's
// closing tag is an error.
func (w *labWire) nextElement() (labItem, error) {
	for {
		it, err := w.next()
		if err != nil {
			return it, err
		}
		switch it.kind {
		case "element":
			if it.el.Tag == "error" && it.el.Space == "stream" {
				return it, fmt.Errorf("stream error: %s", it.raw)
			}
			return it, nil
		case "close":
			return it, errors.New("the server closed the stream")
		}
	}
}

// open sends a stream header and waits for the features.
func (w *labWire) open(from string) (labItem, error) {
	h := "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'"
	if from != "" {
		h += " from='" + from + "'"
	}
	if err := w.send(h + ">"); err != nil {
		return labItem{}, err
	}
	for {
		it, err := w.nextElement()
		if err != nil {
			return it, err
		}
		if it.el.Tag == "features" {
			return it, nil
		}
	}
}

// startTLS runs the handshake on the TCP connection; keep says whether
// what is buffered stays to be parsed afterwards.
func (w *labWire) startTLS(run *labRun, cfg *tls.Config, keep bool, timeout time.Duration) error {
	run.afterProceed = slices.Clone(w.buf)
	if !keep {
		w.buf = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tc := tls.Client(w.tcp, cfg)
	began := time.Now()
	err := tc.HandshakeContext(ctx)
	run.handshake = time.Since(began)
	if err != nil {
		return err
	}
	cs := tc.ConnectionState()
	run.tls = &cs
	w.conn = tc
	return nil
}

// auth sends <auth/> and returns the answer (success or failure).
func (w *labWire) auth(run *labRun, mech, initial string) (labItem, error) {
	run.mechanisms = append(run.mechanisms, mech)
	if err := w.send("<auth xmlns='" + nsSASL + "' mechanism='" + mech + "'>" + initial + "</auth>"); err != nil {
		return labItem{}, err
	}
	for {
		it, err := w.nextElement()
		if err != nil || it.el.Tag == "success" || it.el.Tag == "failure" {
			return it, err
		}
	}
}

// bind asks for a resource and returns the bound JID.
func (w *labWire) bind() (string, error) {
	if err := w.send("<iq type='set' id='bind1'><bind xmlns='" + nsBind + "'><resource>lab</resource></bind></iq>"); err != nil {
		return "", err
	}
	it, err := w.nextElement()
	if err != nil {
		return "", err
	}
	jid := it.el.FindElement("bind/jid")
	if it.el.Tag != "iq" || it.el.SelectAttrValue("type", "") != "result" || jid == nil {
		return "", fmt.Errorf("bind answered with %s", it.raw)
	}
	return jid.Text(), nil
}

// closeStream ends the stream politely and reads to EOF.
func (w *labWire) closeStream() {
	defer w.tcp.Close()
	if w.send(closeTag) != nil {
		return
	}
	for {
		it, err := w.next()
		if err != nil {
			return
		}
		if it.kind == "close" {
			break
		}
	}
	_ = w.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	n, err := io.Copy(io.Discard, w.conn)
	w.st.received += n
	w.st.cleanClose = err == nil && len(w.buf) == 0 && n == 0
}

// ---- shared ----

// labPlainResponse is the PLAIN initial response (RFC 4616).
func labPlainResponse(a labAccount) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + a.user + "\x00" + a.password))
}

// labMechanisms lists the SASL mechanisms a features element offers.
func labMechanisms(features *etree.Element) []string {
	var out []string
	if m := childNS(features, "mechanisms", nsSASL); m != nil {
		for _, e := range m.SelectElements("mechanism") {
			out = append(out, strings.TrimSpace(e.Text()))
		}
	}
	return out
}

// parseLabItem finds the first complete item in buf: how many bytes it
// took, or false when more must be read.
func parseLabItem(buf []byte) (labItem, int, bool) {
	s := string(buf)
	trimmed := strings.TrimLeft(s, " \t\r\n")
	skip := len(s) - len(trimmed)
	const decl, open = "<?xml", "<stream:stream"
	for _, p := range []string{decl, open, closeTag} {
		if len(trimmed) < len(p) && strings.HasPrefix(p, trimmed) {
			return labItem{}, 0, false // a prefix of it: read on
		}
	}
	switch {
	case strings.HasPrefix(trimmed, decl):
		end := strings.Index(trimmed, "?>")
		if end < 0 {
			return labItem{}, 0, false
		}
		it, n, ok := parseLabItem(buf[skip+end+2:])
		return it, skip + end + 2 + n, ok
	case strings.HasPrefix(trimmed, closeTag):
		return labItem{kind: "close", raw: closeTag}, skip + len(closeTag), true
	case strings.HasPrefix(trimmed, open):
		end := strings.IndexByte(trimmed, '>')
		if end < 0 {
			return labItem{}, 0, false
		}
		return labItem{kind: "header", raw: trimmed[:end+1]}, skip + end + 1, true
	}
	// An element: encoding/xml finds where it ends (a self-closing tag
	// gives a start and an end token).
	d := xml.NewDecoder(strings.NewReader(trimmed))
	depth := 0
	for {
		tok, err := d.RawToken()
		if err != nil {
			return labItem{}, 0, false
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
			if depth > 0 {
				continue
			}
			raw := trimmed[:d.InputOffset()]
			doc := etree.NewDocument()
			if err := doc.ReadFromString(raw); err != nil || doc.Root() == nil {
				return labItem{}, 0, false
			}
			return labItem{kind: "element", raw: raw, el: doc.Root()}, skip + len(raw), true
		}
	}
}
