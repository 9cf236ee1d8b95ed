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
	"strconv"
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
	// SourceIPs, when set, are the local addresses connections are made
	// from, in turn: one address has about 28 000 ephemeral ports towards
	// one server port, and loopback accepts any 127.0.0.0/8 address.
	SourceIPs []net.IP
	// Accounts, when above zero, spreads logins over that many accounts,
	// User0 … User(Accounts-1), all with Password (made by MakeAccounts).
	Accounts int
}

// accountName is the n-th of the spread accounts.
func (t Target) accountName(n int) string { return t.User + strconv.Itoa(n) }

// account is who one session logs in as; register asks for the account by
// XEP-0077 in-band registration first, on the same stream (an existing
// account, from an earlier run, is used as it is).
type account struct {
	user, password string
	register       bool
}

func (t Target) account() account { return account{user: t.User, password: t.Password} }

// dial connects from the n-th source address, if any are given.
func (t Target) dial(n int) (net.Conn, error) {
	d := net.Dialer{Timeout: t.Timeout}
	if len(t.SourceIPs) > 0 {
		d.LocalAddr = &net.TCPAddr{IP: t.SourceIPs[n%len(t.SourceIPs)]}
	}
	return d.Dial("tcp", t.Addr)
}

// client is a minimal XMPP client for measuring: it writes fixed strings and
// reads until an expected marker, which costs the client little so that the
// numbers are the server's.
type client struct {
	c  net.Conn
	r  *bufio.Reader
	to time.Duration
}

// login performs a full login as t's account and returns the bound
// session's client. flow is "rfc6120" or "legacy".
func login(t Target, flow, resource string) (*client, error) {
	return loginAs(t, t.account(), flow, resource, 0)
}

// loginAs logs in as a, from the n-th source address.
func loginAs(t Target, a account, flow, resource string, n int) (*client, error) {
	nc, err := t.dial(n)
	if err != nil {
		return nil, err
	}
	cl := &client{c: nc, r: bufio.NewReaderSize(nc, 4096), to: t.Timeout}
	if err := cl.negotiate(t, a, flow, resource); err != nil {
		nc.Close()
		return nil, err
	}
	return cl, nil
}

// negotiate takes a fresh connection through STARTTLS, SASL PLAIN and
// resource binding (or, in the legacy flow, jabber:iq:auth).
func (cl *client) negotiate(t Target, a account, flow, resource string) error {
	if a.register && flow != "rfc6120" {
		return fmt.Errorf("registration is done in the rfc6120 flow only")
	}
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + a.user + "\x00" + a.password))
	open := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='" + t.Domain + "'"
	switch flow {
	case "legacy":
		return cl.negotiateLegacy(t, a, open, plain, resource)
	case "rfc6120":
		return cl.negotiateRFC6120(t, a, open+" version='1.0'>", plain, resource)
	}
	return fmt.Errorf("unknown flow %q (rfc6120 or legacy)", flow)
}

// negotiateLegacy is the legacy flow: XEP-0035 STARTTLS (answered by
// </stream:stream>, then the handshake), XEP-0034 SASL and a jabber:iq:auth
// session start. open is the stream header without its closing ">", since
// each header declares the namespace of what it asks for.
func (cl *client) negotiateLegacy(t Target, a account, open, plain, resource string) error {
	if err := cl.exchange(open+" xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt'>", ">"); err != nil {
		return err
	}
	if err := cl.exchange("<tls:starttls/>", "</stream:stream>"); err != nil {
		return err
	}
	if err := cl.upgrade(t); err != nil {
		return err
	}
	if err := cl.exchange(open+" xmlns:sasl='http://www.iana.org/assignments/sasl-mechanisms'>", "</sasl:mechanisms>"); err != nil {
		return err
	}
	if err := cl.exchange("<sasl:auth mechanism='PLAIN'>"+plain+"</sasl:auth>", "<sasl:success/>"); err != nil {
		return err
	}
	return cl.exchange("<iq id='s' type='set'><query xmlns='jabber:iq:auth'><username>"+a.user+"</username><resource>"+resource+"</resource></query></iq>", "<iq id='s' type='result'/>")
}

// negotiateRFC6120 is the RFC 6120 flow, with in-band registration first
// when a asks for it. open is the whole stream header, sent again after
// TLS and after SASL.
func (cl *client) negotiateRFC6120(t Target, a account, open, plain, resource string) error {
	if err := cl.exchange(open, "</stream:features>"); err != nil {
		return err
	}
	if err := cl.exchange("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); err != nil {
		return err
	}
	if err := cl.upgrade(t); err != nil {
		return err
	}
	if err := cl.exchange(open, "</stream:features>"); err != nil {
		return err
	}
	if a.register {
		if err := cl.registerAccount(a); err != nil {
			return err
		}
	}
	if err := cl.exchange("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"+plain+"</auth>", "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"); err != nil {
		return err
	}
	if err := cl.exchange(open, "</stream:features>"); err != nil {
		return err
	}
	return cl.exchange("<iq id='b' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>"+resource+"</resource></bind></iq>", "</iq>")
}

// registerAccount asks for a's account (XEP-0077); "taken" (an earlier
// run's) is as good as created, since the password is the same.
func (cl *client) registerAccount(a account) error {
	if err := cl.send("<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>" + a.user + "</username><password>" + a.password + "</password></query></iq>"); err != nil {
		return err
	}
	_ = cl.c.SetReadDeadline(time.Now().Add(cl.to))
	var got strings.Builder
	for {
		chunk, err := cl.r.ReadString('>')
		got.WriteString(chunk)
		if err != nil {
			return fmt.Errorf("registering %s: %w (got %.200q)", a.user, err, got.String())
		}
		s := got.String()
		switch {
		case strings.HasSuffix(s, "<iq id='reg' type='result'/>"):
			return nil
		case strings.HasSuffix(s, "</iq>") && strings.Contains(s, "<conflict "):
			return nil
		case strings.HasSuffix(s, "</iq>"), strings.Contains(s, "<stream:error>"):
			return fmt.Errorf("registering %s: the server said %.300q (is auth.in_band_registration on?)", a.user, s)
		}
	}
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

// exchange sends s and reads until the answer ends with marker.
func (cl *client) exchange(s, marker string) error {
	if err := cl.send(s); err != nil {
		return err
	}
	return cl.expect(marker)
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
