package transport

import (
	"bytes"
	"crypto/tls"
	"net"
	"strings"
	"sync"

	"jabberd/starttls"
)

// Facts are what the core learnt from an established handshake: what was
// negotiated, and the client certificate verified and mapped to accounts.
type Facts struct {
	*starttls.Result
	// Early counts the bytes the reader had buffered past the request,
	// replayed into the handshake.
	Early int
	// ClientVerified: the client's certificate chained to a configured
	// client CA. Only then may EXTERNAL be offered.
	ClientVerified bool
	// ClientError says why a certificate the client showed did not verify
	// or map ("" when it did, or when it showed none).
	ClientError string
	// Accounts are the accounts the verified certificate maps to (XEP-0178).
	Accounts []string
}

// ClientCert is the subject of the client's certificate, "" when none.
func (f *Facts) ClientCert() string {
	if len(f.PeerCertificates) == 0 {
		return ""
	}
	return f.PeerCertificates[0].Subject.String()
}

// StartTLS is the STARTTLS hand-off, the one place every protocol's upgrade
// happens. early are the bytes the driver's reader had buffered past the
// request: they are the start of the client's handshake (a pipelined
// ClientHello works) and never reach a parser (injected plaintext fails the
// handshake instead of being obeyed). skip lists bytes the protocol allows
// between its request and the handshake (XML whitespace). choose lets a lab
// profile bend this one handshake (nil: the server's own configuration).
//
// The handshake runs on the connection's goroutine under its deadline. (It
// once ran on a helper goroutine, to keep the deep stack it grows off the
// connection's; each hand-over to the helper could wake a second thread,
// and the stack is no longer kept anyway: a session parks without a
// goroutine after IdleGrace, and the collector shrinks the stack of one
// that does not.) On success TLS is the transport from now on and the
// driver starts a fresh reader on Source. On failure the connection is
// over; the observer has been told what the client sent where its
// ClientHello belonged, if that was not TLS.
func (c *Conn) StartTLS(up *starttls.Server, early []byte, skip string, choose starttls.Choose) (*Facts, error) {
	c.tap = nil // nothing read so far may be observed as protocol input again
	if c.obs != nil {
		c.obs.TLSRequested()
	}
	// The catcher is under every TLS connection: it catches the
	// handshake's input for an observer, and holds the last write back
	// until close_notify joins it (Conn.write).
	caught := &catcher{Conn: c.tcp, off: c.obs == nil}
	under := net.Conn(caught)
	var sni string
	if c.obs != nil {
		choose = noteServerName(choose, &sni)
	}
	res, err := up.UpgradeWith(c.set.Context, under, early, skip, choose)
	// The catcher stays under the TLS connection for its life: what it
	// caught is let go now, or every session would keep its handshake.
	first := caught.stop()
	if m := c.set.Metrics; m != nil {
		m.Handshake(handshakeOutcome(err))
	}
	if err != nil {
		c.Log().Info().Err(err).Int("early_bytes", len(early)).Msg("TLS upgrade failed")
		if c.obs != nil {
			c.observeFailure(err, append(bytes.Clone(early), first...), skip, sni)
		}
		return nil, err
	}
	f := c.describe(res, len(early))
	c.mu.Lock()
	c.nc, c.under = res.Conn, caught
	c.mu.Unlock()
	c.secure.Store(true)
	if c.obs != nil {
		c.obs.TLSEstablished(f)
	}
	return f, nil
}

// observeFailure tells the observer how the handshake failed: plaintext
// where the ClientHello belonged, or the client's records, read for an
// alert in the clear and for plaintext sent after them. What follows the
// records is the start of the late input the close will listen for.
func (c *Conn) observeFailure(err error, raw []byte, skip, sni string) {
	f := HandshakeFailure{Err: err, Plaintext: notTLS(raw, skip), ServerName: sni,
		SecondHello: starttls.ClientHellos(bytes.TrimLeft(raw, skip)) > 1 || secondHelloError(err)}
	c.lateAfter = "the failed TLS handshake"
	if f.Plaintext == nil {
		var after []byte
		f.Alert, after = starttls.ScanRecords(bytes.TrimLeft(raw, skip))
		_, alerted := starttls.RemoteAlert(err.Error()) // an alert encrypted under the handshake keys
		if f.Alert == "" && !alerted && len(after) > 0 {
			// Plaintext after the ClientHello, with no alert before it:
			// the client wrote it into its own handshake (answering what
			// it read in plaintext), and the handshake failed on it.
			f.Plaintext = bytes.Clone(after)
		} else {
			// The client ended the handshake itself; what follows is it
			// going on afterwards.
			c.late = bytes.Clone(after)
		}
	}
	c.obs.TLSFailed(f)
}

// secondHelloError: crypto/tls met a record in ClientHello's legacy
// version (0x0301) where the rest of the handshake belonged (0x0303): the
// client started over, and only the new record's header had been read.
func secondHelloError(err error) bool {
	return strings.Contains(err.Error(), "received record with version 301 when expecting version 303")
}

// noteServerName wraps a handshake's choice to note the SNI on its way.
func noteServerName(choose starttls.Choose, sni *string) starttls.Choose {
	return func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		*sni = hello.ServerName
		if choose == nil {
			return nil, nil
		}
		return choose(hello)
	}
}

// notTLS returns data, less the bytes the protocol allows before a
// handshake, when it does not start a TLS handshake record (0x16): the
// client sent plaintext where its ClientHello belonged.
func notTLS(data []byte, skip string) []byte {
	data = bytes.TrimLeft(data, skip)
	if len(data) == 0 || data[0] == 0x16 {
		return nil
	}
	return data
}

// describe verifies the client certificate, maps it to accounts, and logs
// the upgrade with the same fields for every protocol, so that one grep
// finds them all.
func (c *Conn) describe(res *starttls.Result, early int) *Facts {
	f := &Facts{Result: res, Early: early}
	ev := c.Log().Info().Str("version", res.VersionName()).Str("cipher", res.CipherName()).Int("early_bytes", early)
	if res.Skipped > 0 {
		ev = ev.Int("whitespace_skipped", res.Skipped)
	}
	if res.ServerName != "" {
		ev = ev.Str("sni", res.ServerName)
	}
	if len(res.PeerCertificates) > 0 {
		ev = ev.Str("client_cert", f.ClientCert())
		if verify := c.set.VerifyClient; verify == nil {
			f.ClientError = "no client CA is configured"
		} else if err := verify(res.PeerCertificates); err != nil {
			f.ClientError = err.Error()
			ev = ev.Str("client_cert_error", f.ClientError)
		} else {
			f.ClientVerified = true
		}
		ev = ev.Bool("client_cert_verified", f.ClientVerified)
		if mapper := c.set.Identities; f.ClientVerified && mapper != nil {
			ids, err := mapper.Identities(res.PeerCertificates[0])
			if err != nil {
				ev = ev.Str("client_cert_identity_error", err.Error())
				f.ClientError = err.Error()
			}
			f.Accounts = ids.Usernames
			ev = ev.Strs("client_cert_accounts", ids.Usernames)
			if len(ids.Dropped) > 0 {
				ev = ev.Strs("client_cert_identities_dropped", ids.Dropped)
				if f.ClientError == "" {
					f.ClientError = strings.Join(ids.Dropped, "; ")
				}
			}
		}
	}
	ev.Msg("TLS established")
	return f
}

// maxCaught bounds what the handshake's reads keep for the observer: a
// ClientHello with a post-quantum key share and a client certificate
// chain, then the client's alert or the plaintext it went on with.
const maxCaught = 16 << 10

// catcher keeps the first bytes the TLS handshake reads from the client,
// so that plaintext sent where the ClientHello belongs can be observed
// after the handshake failed on it. It also holds writes back while asked
// to (hold, release): the stream's last words and the close_notify alert
// after them leave in one write, one segment, instead of two.
type catcher struct {
	net.Conn
	buf []byte
	off bool

	wmu     sync.Mutex // crypto/tls writes under its own lock, the holder under Conn.wmu
	holding bool
	held    []byte
}

// Write passes p on, or keeps it while holding.
func (k *catcher) Write(p []byte) (int, error) {
	k.wmu.Lock()
	defer k.wmu.Unlock()
	if k.holding {
		k.held = append(k.held, p...)
		return len(p), nil
	}
	return k.Conn.Write(p)
}

// hold starts keeping writes back.
func (k *catcher) hold() {
	k.wmu.Lock()
	k.holding = true
	k.wmu.Unlock()
}

// release writes what was held, in one write, and stops holding.
func (k *catcher) release() error {
	k.wmu.Lock()
	defer k.wmu.Unlock()
	b := k.held
	k.holding, k.held = false, nil
	if len(b) == 0 {
		return nil
	}
	_, err := k.Conn.Write(b)
	return err
}

func (k *catcher) Read(p []byte) (int, error) {
	n, err := k.Conn.Read(p)
	if !k.off && n > 0 {
		k.buf = append(k.buf, p[:min(n, maxCaught-len(k.buf))]...)
		k.off = len(k.buf) >= maxCaught
	}
	return n, err
}

// stop ends the catching (the handshake is over) and returns what was
// caught, letting go of it. Safe on nil.
func (k *catcher) stop() []byte {
	if k == nil {
		return nil
	}
	b := k.buf
	k.off, k.buf = true, nil
	return b
}
