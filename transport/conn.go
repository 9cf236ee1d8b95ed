// Package transport is the connection core under every protocol jabberd
// speaks (XMPP on a STARTTLS or a direct-TLS port, IRC): the socket and its
// swap to TLS, serialized writes with deadlines, the end of a connection
// with close_notify and a linger, the per-connection recover, the STARTTLS
// hand-off (the bytes buffered past the request replayed into the
// handshake, its deadline, a catcher for plaintext where the ClientHello
// belongs), the TLS facts (the client certificate verified and mapped to
// accounts), the bounded outbound queue, and the Observer the lab watches
// through.
//
//	listener (package listener) ─▶ Conn (this package) ◀──▶ Driver (XMPP, IRC)
//	                        socket, TLS, writes,      reader, pure machine,
//	                        queue, observer           router or network
//
// A Driver owns the protocol: what to read, what the machine decides, what
// to say when stopping. It has no socket of its own.
package transport

import (
	"context"
	"fmt"
	"net"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"jabberd/auth/external"
	"jabberd/starttls"
)

// Driver is a protocol over a Conn.
type Driver interface {
	// Serve speaks the protocol on the connection until it must end.
	Serve()
	// Ended runs once the connection's output is closed (whatever is
	// still queued has gone to Settings.Undelivered), after Serve
	// returned or panicked: the driver leaves its router or network.
	Ended()
}

// Settings are what every connection of one listener shares.
type Settings struct {
	// Context is cancelled when the server begins to shut down; long
	// operations (a TLS handshake) watch it.
	Context context.Context
	// Shutdown is the reason a connection is given when the server stops
	// (Stop); the driver turns it into its protocol's words.
	Shutdown error
	// VerifyClient checks a client certificate chain after the handshake;
	// nil: no certificate ever counts as verified.
	VerifyClient starttls.VerifyFunc
	// Identities maps a verified certificate to accounts (SASL EXTERNAL);
	// nil maps none.
	Identities *external.Mapper
	// MaxQueued bounds the bytes waiting for a client that reads slowly;
	// past it the connection is cut (0: DefaultMaxQueued).
	MaxQueued int
	// Undelivered takes what was queued for a client and could not be
	// written (offline storage); nil drops it.
	Undelivered func(item any)
	// LateWindow is how long a watched connection's close listens for
	// what the client still sends after a refused STARTTLS or a failed
	// handshake ([lab] listen_after_failure; 0: it does not).
	LateWindow time.Duration
	// IdleGrace is how long a session's AwaitInput waits before it tells
	// the observer the connection is quiet and parks it (0: it never does).
	IdleGrace time.Duration
	// Log is the listener's logger; each connection adds its id and
	// remote address.
	Log zerolog.Logger
	// Metrics counts connections, handshakes and logins; nil counts
	// nothing.
	Metrics Metrics

	parked atomic.Int64 // connections parked (Parked)
}

// Conn is one client connection. Only its own goroutine (the one running
// Serve, and the driver's Serve within it) reads and upgrades; writes,
// Enqueue, StopWith and Kill are safe from any goroutine.
type Conn struct {
	set    *Settings
	driver Driver
	id, ip string
	tcp    net.Conn
	log    zerolog.Logger           // the listener's, with connHook
	fields atomic.Pointer[[]string] // With's key/value pairs, for connHook
	obs    Observer                 // nil when nobody watches

	mu     sync.Mutex // guards nc
	nc     net.Conn   // the current transport: TCP, then TLS over it
	under  *catcher   // under nc once TLS is up (nil before)
	secure atomic.Bool

	wmu      sync.Mutex // serializes writes: the machine's and the queue's
	closed   bool       // under wmu: the stream ended, nothing more is written
	broken   bool       // under wmu: a write failed, the socket is closed
	notified bool       // under wmu: close_notify was sent (or is not due)

	stop atomic.Pointer[error] // why the server ends this connection

	queue outQueue
	tap   *inTap // what the current reader read, for obs

	endReason atomic.Pointer[string] // why the connection ended, for the observer

	park   park        // while parked: no goroutine (park.go)
	lap    *lap        // the serving goroutine's turn; only that goroutine sets it
	killed atomic.Bool // the socket was closed under the connection (cut)
	done   func()      // the listener's: the connection has ended

	// lateAfter, when set, says what ended the exchange (a failed
	// handshake, a refused STARTTLS): the close then listens for what the
	// client still sends, for the observer; late is what had come already.
	// Only the connection's goroutine touches them.
	lateAfter string
	late      []byte
	lateTLS   bool // the client ended TLS: what follows on the socket is past the TLS records
	lateDone  bool // the late input was listened for

	// dialect and authed are what the notes said, for Metrics; only the
	// connection's goroutine touches them.
	dialect string
	authed  bool
}

// New wraps an accepted socket. The driver is set with Run.
func New(set *Settings, nc net.Conn, id, ip string) *Conn {
	c := &Conn{set: set, id: id, ip: ip, tcp: nc, nc: nc}
	c.log = set.Log.Hook(connHook{c})
	c.queue.init()
	return c
}

// Run makes d the connection's protocol.
func (c *Conn) Run(d Driver) { c.driver = d }

// Observe makes o the connection's observer; call it before Serve.
func (c *Conn) Observe(o Observer) { c.obs = o }

// ID is the connection's id ("c12", "i3").
func (c *Conn) ID() string { return c.id }

// IP is the client's address.
func (c *Conn) IP() string { return c.ip }

// Local is the listener's address the client reached.
func (c *Conn) Local() string { return c.tcp.LocalAddr().String() }

// Remote is the client's address and port.
func (c *Conn) Remote() string { return c.tcp.RemoteAddr().String() }

// Log returns the connection's logger: every event it logs carries the
// connection's id, the client's address and the fields given to With.
func (c *Conn) Log() *zerolog.Logger { return &c.log }

// With adds a field to the connection's log events from now on (the JID or
// nick once known); a key given again takes the new value.
func (c *Conn) With(key, value string) {
	var fields []string
	if p := c.fields.Load(); p != nil {
		fields = slices.Clone(*p)
	}
	for i := 0; i < len(fields); i += 2 {
		if fields[i] == key {
			fields[i+1] = value
			c.fields.Store(&fields)
			return
		}
	}
	fields = append(fields, key, value)
	c.fields.Store(&fields)
}

// connHook writes a connection's fields into each of its log events. A
// zerolog context (Logger.With) would copy them into a 500-byte buffer per
// connection, and again for every field added, which every idle session
// kept; the hook writes them only into the events that are logged.
type connHook struct{ c *Conn }

func (h connHook) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Str("conn", h.c.id).Str("remote", h.c.tcp.RemoteAddr().String())
	if p := h.c.fields.Load(); p != nil {
		for f := *p; len(f) >= 2; f = f[2:] {
			e.Str(f[0], f[1])
		}
	}
}

// Phase is "plaintext" or "tls", for the debug log.
func (c *Conn) Phase() string {
	if c.secure.Load() {
		return "tls"
	}
	return "plaintext"
}

// Secure reports whether TLS is the transport.
func (c *Conn) Secure() bool { return c.secure.Load() }

// Context is the listener's: cancelled when the server shuts down.
func (c *Conn) Context() context.Context { return c.set.Context }

// Serve runs the connection (listener.Conn) until it ends, then calls
// done; or until the driver parks it (ErrParked): Serve then returns, and
// another goroutine takes it up later (park.go), to its end. A panic is a
// bug on some input: it is logged with its stack and ends this connection
// only. Whoever ends it, a TLS connection ends with close_notify.
func (c *Conn) Serve(done func()) {
	c.done = done
	if m := c.set.Metrics; m != nil {
		m.Opened(c.Local())
	}
	l := &lap{}
	c.lap = l
	defer c.endUnlessParked(l)
	defer c.recoverPanic()
	c.logConnected()
	c.driver.Serve()
}

// recoverPanic ends the connection on a panic of its handler: a bug on
// some input, logged with its stack.
func (c *Conn) recoverPanic() {
	if v := recover(); v != nil {
		c.EndReason("handler panicked")
		c.Log().Error().Str("panic", fmt.Sprint(v)).Str("stack", string(debug.Stack())).Msg("connection handler panicked; connection closed")
	}
}

// ended runs as Serve ends, however it ends: close_notify and the queue
// (finish), the driver leaves, the observer and the metrics are told, the
// socket is closed.
func (c *Conn) ended() {
	if c.done != nil {
		defer c.done()
	}
	defer c.tcp.Close()
	if m := c.set.Metrics; m != nil {
		// A closure: the dialect and phase are read as the connection has
		// ended, after finish and the driver, not now.
		defer func() { m.Closed(c.Local(), c.dialect, c.reached()) }()
	}
	defer c.observeClosed()
	defer c.driver.Ended()
	c.finish()
}

func (c *Conn) logConnected() {
	c.Log().Info().Str("local", c.tcp.LocalAddr().String()).Msg("connected")
}

// EndReason records why the connection ends (the first reason given wins),
// for the observer. Safe from any goroutine.
func (c *Conn) EndReason(reason string) { c.endReason.CompareAndSwap(nil, &reason) }

func (c *Conn) observeClosed() {
	if c.obs == nil {
		return
	}
	reason := ""
	if p := c.endReason.Load(); p != nil {
		reason = *p
	}
	c.obs.Closed(reason)
}

// Note tells the observer what the machine decided.
func (c *Conn) Note(n Note) {
	switch {
	case n.Kind == NoteTLSRefused && n.Offered:
		c.lateAfter = "the refused STARTTLS"
	case n.Kind == NoteDialect:
		c.dialect = n.Text
	case n.Kind == NoteAuth:
		c.authed = c.authed || n.OK
		if m := c.set.Metrics; m != nil {
			m.Login(n.Mechanism, n.OK)
		}
	}
	if c.obs != nil {
		c.obs.Noted(n)
	}
}

// Observing reports whether an observer watches.
func (c *Conn) Observing() bool { return c.obs != nil }

// StopWith asks the connection to end with err: the pending read returns
// at once, a parked connection resumes, and the driver sees the reason
// (Stopping). The first reason wins.
func (c *Conn) StopWith(err error) {
	c.stop.CompareAndSwap(nil, &err)
	_ = c.transport().SetReadDeadline(timeNow())
	c.wake(0, c.Stopping())
}

// Stopping returns why the server ends the connection, nil while it does not.
func (c *Conn) Stopping() error {
	if p := c.stop.Load(); p != nil {
		return *p
	}
	return nil
}

// Stop implements listener.Conn: the server is shutting down.
func (c *Conn) Stop() { c.StopWith(c.set.Shutdown) }

// Kill implements listener.Conn, and ends a client that cannot take what
// is meant for it: it closes the socket under the connection.
func (c *Conn) Kill() { c.cut() }

func (c *Conn) transport() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nc
}
