// Package bench is jabberd's load generator: full logins in either dialect,
// a raw TLS handshake reference, idle sessions and message throughput, with
// the server's CPU and memory read from /proc when its pid is given.
package bench

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Target says where the server is and how to log in.
type Target struct {
	Addr     string
	Domain   string
	User     string
	Password string
	TLS      *tls.Config // RootCAs set to the lab CA
	Timeout  time.Duration
}

// client is a minimal XMPP client for measuring: it writes fixed strings and
// reads until an expected marker, which costs the client little so that the
// numbers are the server's.
type client struct {
	c  net.Conn
	r  *bufio.Reader
	to time.Duration
}

// login performs a full login and returns the bound session's client.
// flow is "rfc6120" or "legacy".
func login(t Target, flow, resource string) (*client, error) {
	nc, err := net.DialTimeout("tcp", t.Addr, t.Timeout)
	if err != nil {
		return nil, err
	}
	cl := &client{c: nc, r: bufio.NewReaderSize(nc, 4096), to: t.Timeout}
	if err := cl.negotiate(t, flow, resource); err != nil {
		nc.Close()
		return nil, err
	}
	return cl, nil
}

func (cl *client) negotiate(t Target, flow, resource string) error {
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + t.User + "\x00" + t.Password))
	open := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='" + t.Domain + "'"
	switch flow {
	case "legacy":
		if err := cl.send(open + " xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt'>"); err != nil {
			return err
		}
		if err := cl.expect(">"); err != nil {
			return err
		}
		if err := cl.send("<tls:starttls/>"); err != nil {
			return err
		}
		if err := cl.expect("</stream:stream>"); err != nil {
			return err
		}
		if err := cl.upgrade(t); err != nil {
			return err
		}
		if err := cl.send(open + " xmlns:sasl='http://www.iana.org/assignments/sasl-mechanisms'>"); err != nil {
			return err
		}
		if err := cl.expect("</sasl:mechanisms>"); err != nil {
			return err
		}
		if err := cl.send("<sasl:auth mechanism='PLAIN'>" + plain + "</sasl:auth>"); err != nil {
			return err
		}
		if err := cl.expect("<sasl:success/>"); err != nil {
			return err
		}
		if err := cl.send("<iq id='s' type='set'><query xmlns='jabber:iq:auth'><username>" + t.User + "</username><resource>" + resource + "</resource></query></iq>"); err != nil {
			return err
		}
		return cl.expect("<iq id='s' type='result'/>")
	case "rfc6120":
		open += " version='1.0'>"
		if err := cl.send(open); err != nil {
			return err
		}
		if err := cl.expect("</stream:features>"); err != nil {
			return err
		}
		if err := cl.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); err != nil {
			return err
		}
		if err := cl.expect("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); err != nil {
			return err
		}
		if err := cl.upgrade(t); err != nil {
			return err
		}
		if err := cl.send(open); err != nil {
			return err
		}
		if err := cl.expect("</stream:features>"); err != nil {
			return err
		}
		if err := cl.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>"); err != nil {
			return err
		}
		if err := cl.expect("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"); err != nil {
			return err
		}
		if err := cl.send(open); err != nil {
			return err
		}
		if err := cl.expect("</stream:features>"); err != nil {
			return err
		}
		if err := cl.send("<iq id='b' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource + "</resource></bind></iq>"); err != nil {
			return err
		}
		return cl.expect("</iq>")
	}
	return fmt.Errorf("unknown flow %q (rfc6120 or legacy)", flow)
}

func (cl *client) upgrade(t Target) error {
	tc := tls.Client(cl.c, t.TLS)
	_ = tc.SetDeadline(time.Now().Add(cl.to))
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	cl.c = tc
	cl.r.Reset(tc)
	return nil
}

func (cl *client) send(s string) error {
	_ = cl.c.SetWriteDeadline(time.Now().Add(cl.to))
	_, err := io.WriteString(cl.c, s)
	return err
}

// expect reads until the text received ends with marker.
func (cl *client) expect(marker string) error {
	_ = cl.c.SetReadDeadline(time.Now().Add(cl.to))
	var got strings.Builder
	last := marker[len(marker)-1]
	for {
		chunk, err := cl.r.ReadString(last)
		got.WriteString(chunk)
		if err != nil {
			return fmt.Errorf("waiting for %q: %w (got %.200q)", marker, err, got.String())
		}
		if strings.HasSuffix(got.String(), marker) {
			return nil
		}
		if strings.Contains(got.String(), "<stream:error>") || strings.Contains(got.String(), "<failure") {
			return fmt.Errorf("waiting for %q the server said %.300q", marker, got.String())
		}
		if got.Len() > 1<<20 {
			return errors.New("more than 1 MiB without the expected answer")
		}
	}
}

// close ends the stream politely and waits for the server's close.
func (cl *client) close() {
	if cl.send("</stream:stream>") == nil {
		_ = cl.expect("</stream:stream>")
	}
	cl.c.Close()
}
