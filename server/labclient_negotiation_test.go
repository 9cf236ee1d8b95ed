package server_test

// The reactive lab client: the naive client of the negotiation and
// response-injection profiles (lab_cases_negotiation_test.go). Where the
// naive client of labclient_naive_test.go asks for one answer at a time,
// this one is written the way event-driven clients are: it reads whatever
// comes and dispatches every element by its name, whatever it asked —
// <proceed/> starts TLS, <success/> means logged in, </stream:stream>
// means the server closed, features with <starttls/> get a STARTTLS. Its
// options are the habits that decide what it falls for.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"github.com/beevik/etree"
)

// reactiveOpts are the reactive client's habits.
type reactiveOpts struct {
	// drain: what came in the same read as <proceed/> is handled before
	// the handshake (a parser that queues every event of a read before the
	// upgrade runs). Otherwise the handshake starts at once and what came
	// with <proceed/> stays in the read buffer, handled over TLS.
	drain bool
	// onlyRequired: STARTTLS only when <required/> says so; otherwise it
	// logs in on the features it has.
	onlyRequired bool
	// answerWait bounds the wait for the answer to <starttls/>: without
	// one in time TLS is "unavailable" and it goes on in plaintext (0:
	// it waits as long as any read).
	answerWait time.Duration
}

// labAnswerWait is how long the impatient clients wait for the answer to
// their STARTTLS request (the server's negotiation timeout is far longer).
const labAnswerWait = 300 * time.Millisecond

var (
	errLabServerClosed = errors.New("the server closed the stream")
	errLabNoAnswer     = errors.New("STARTTLS went unanswered")
)

// reactiveClient returns the reactive client with the habits o.
func reactiveClient(o reactiveOpts) func(labAccount) *labRun {
	return func(a labAccount) *labRun {
		run := &labRun{}
		w, err := dialLab(run, a.addr)
		if err != nil {
			run.err = err
			return run
		}
		defer w.tcp.Close()
		run.err = labReactive(a, w, run, o)
		return run
	}
}

// labReactive dispatches what the server sends until a session is bound
// or something ends it.
func labReactive(a labAccount, w *labWire, run *labRun, o reactiveOpts) error {
	if err := w.send(labHeader(a.from)); err != nil {
		return err
	}
	var authed, asked, tlsDue bool
	for {
		var it labItem
		var err error
		switch {
		case tlsDue:
			// Only what is complete in the buffer is handled before the
			// handshake; then the handshake runs, the rest stays.
			var n int
			var ok bool
			if it, n, ok = parseLabItem(w.buf); ok {
				w.buf = w.buf[n:]
				break
			}
			tlsDue = false
			if err := labReactiveTLS(a, w, run); err != nil {
				return err
			}
			continue
		case asked && o.answerWait > 0:
			it, err = w.nextWithin(o.answerWait)
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				// "TLS is unavailable": log in without it.
				asked = false
				if err := labReactiveAuth(a, w, run, nil); err != nil {
					return err
				}
				continue
			}
		default:
			it, err = w.next()
		}
		if err != nil {
			return err
		}
		switch {
		case it.kind == "header":
		case it.kind == "close":
			// The server closed: so does the client, in whatever the
			// connection is now (plaintext, if TLS was only due), and it
			// hangs up.
			_ = w.send(closeTag)
			return errLabServerClosed
		case it.el.Tag == "features":
			run.features = append(run.features, it.raw)
			if st := childNS(it.el, "starttls", labNSTLS); st != nil && (!o.onlyRequired || st.SelectElement("required") != nil) {
				if err := w.send(rfcStartTLS); err != nil {
					return err
				}
				asked = true
				continue
			}
			if authed && childNS(it.el, "bind", nsBind) != nil {
				jid, err := w.bind()
				run.jid = jid
				if err == nil {
					w.closeStream()
				}
				return err
			}
			if authed {
				// Logged in, by its reckoning, and offered no bind: it
				// gives up (and hangs up).
				return fmt.Errorf("logged in, but offered %s", it.raw)
			}
			if err := labReactiveAuth(a, w, run, it.el); err != nil {
				return err
			}
		case it.el.Tag == "proceed":
			asked = false
			run.tlsDue = true
			if o.drain {
				tlsDue = true
				continue
			}
			if run.tls != nil {
				// TLS again, inside the TLS it has.
				return labReactiveNestedTLS(a, w)
			}
			if err := labReactiveTLS(a, w, run); err != nil {
				return err
			}
		case it.el.Tag == "success":
			// Logged in: restart the stream.
			authed = true
			if err := w.send(labHeader(a.from)); err != nil {
				return err
			}
		case it.el.Tag == "error" && it.el.Space == "stream":
			return fmt.Errorf("stream error: %s", it.raw)
		default:
			w.closeStream()
			return fmt.Errorf("the server answered %s", it.raw)
		}
	}
}

// labReactiveTLS upgrades, keeping the read buffer, and opens a stream.
func labReactiveTLS(a labAccount, w *labWire, run *labRun) error {
	cfg := &tls.Config{ServerName: a.serverName, InsecureSkipVerify: true}
	if err := w.startTLS(run, cfg, true, ioTimeout); err != nil {
		return fmt.Errorf("TLS: %w", err)
	}
	return w.send(labHeader(a.from))
}

// labReactiveNestedTLS starts a handshake inside the TLS connection, as a
// client does that obeys every <proceed/> it reads.
func labReactiveNestedTLS(a labAccount, w *labWire) error {
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	err := tls.Client(w.conn, &tls.Config{ServerName: a.serverName, InsecureSkipVerify: true}).HandshakeContext(ctx)
	return fmt.Errorf("TLS inside TLS: %v", err)
}

// labReactiveAuth logs in with PLAIN (or, when PLAIN is not offered, the
// first mechanism named); features is nil when none were read.
func labReactiveAuth(a labAccount, w *labWire, run *labRun, features *etree.Element) error {
	mech := "PLAIN"
	if features != nil {
		if offered := labMechanisms(features); len(offered) > 0 && !slices.Contains(offered, "PLAIN") {
			mech = offered[0]
		}
	}
	initial := "="
	if mech == "PLAIN" {
		initial = labPlainResponse(a)
		run.credentials = append(run.credentials, initial)
	}
	run.mechanisms = append(run.mechanisms, mech)
	return w.send("<auth xmlns='" + nsSASL + "' mechanism='" + mech + "'>" + initial + "</auth>")
}

// labHeader is the client's stream header.
func labHeader(from string) string {
	h := "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'"
	if from != "" {
		h += " from='" + from + "'"
	}
	return h + ">"
}

// nextWithin is next with its own bound on the wait for more bytes.
func (w *labWire) nextWithin(d time.Duration) (labItem, error) {
	for {
		if it, n, ok := parseLabItem(w.buf); ok {
			w.buf = w.buf[n:]
			return it, nil
		}
		_ = w.conn.SetReadDeadline(time.Now().Add(d))
		b := make([]byte, 4096)
		n, err := w.conn.Read(b)
		w.buf = append(w.buf, b[:n]...)
		w.st.received += int64(n)
		if n > 0 {
			continue
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return labItem{}, err
	}
}

// carefulImpatient is the careful client with a deadline of its own on the
// answer to STARTTLS: without one in time it gives up and closes, and goes
// on neither in plaintext nor elsewhere.
func carefulImpatient(a labAccount) *labRun {
	run := &labRun{}
	w, err := dialLab(run, a.addr)
	if err != nil {
		run.err = err
		return run
	}
	defer w.tcp.Close()
	f, err := w.open(a.from)
	if err != nil {
		run.err = err
		return run
	}
	run.features = append(run.features, f.raw)
	if childNS(f.el, "starttls", labNSTLS) == nil {
		w.closeStream()
		run.err = errLabNoStartTLS
		return run
	}
	if run.err = w.send(rfcStartTLS); run.err != nil {
		return run
	}
	it, err := w.nextWithin(labAnswerWait)
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		w.closeStream()
		run.err = errLabNoAnswer
		return run
	}
	if err == nil {
		err = fmt.Errorf("STARTTLS answered with %s", it.raw)
	}
	run.err = err
	return run
}
