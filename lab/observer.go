package lab

import (
	"jabberd/transport"
)

// Piece is one unit of plaintext the client sent where its TLS ClientHello
// belonged, as the protocol driver splits it (IRC lines, XMPP elements).
type Piece struct {
	Data     []byte // as recorded: the bytes, or written back without a secret
	N        int    // its length on the wire
	Redacted bool   // Data stands in for bytes that carried a secret
	What     Input
}

// Splitter cuts what a client sent where its ClientHello belonged into the
// pieces of its protocol; what it cannot read is left out.
type Splitter func(data []byte) []Piece

// Watch returns the observer that records a connection into t: the
// connection core (transport) calls it at its fixed points; split reads
// plaintext caught in place of a ClientHello. t must not be nil.
func Watch(t *Transcript, split Splitter) transport.Observer {
	return watcher{t: t, split: split}
}

type watcher struct {
	t     *Transcript
	split Splitter
}

func (w watcher) Received(data []byte, n int, redacted bool, what Input) {
	w.t.InBytes(data, n, redacted, what)
}

func (w watcher) Sent(data []byte, redacted bool) { w.t.Out(data, redacted) }

func (w watcher) TLSRequested() { w.t.TLSRequested() }

func (w watcher) TLSEstablished(f *transport.Facts) {
	cert := "none"
	if subject := f.ClientCert(); subject != "" {
		cert = subject + " (not verified)"
		if f.ClientVerified {
			cert = subject + " (verified)"
		}
	}
	w.t.TLSEstablished(f.VersionName(), f.CipherName(), f.ServerName, cert)
}

// TLSFailed records a failed handshake and, before it, the plaintext the
// client sent where its ClientHello belonged: judged like any plaintext
// input (an answer to injected data, a credential in the clear).
func (w watcher) TLSFailed(f transport.HandshakeFailure) {
	if len(f.Plaintext) > 0 {
		w.t.Event("the client sent plaintext where the TLS handshake belonged")
		w.pieces(f.Plaintext)
	}
	w.t.HandshakeFailed(Failure{Err: f.Err.Error(), Alert: f.Alert, SNI: f.ServerName, Plaintext: len(f.Plaintext) > 0, SecondHello: f.SecondHello})
}

// Late records what the client sent after the server ended the exchange,
// split into its protocol's pieces and judged as plaintext that goes on.
func (w watcher) Late(data []byte, after string) {
	w.t.Late(after, len(data) > 0)
	w.pieces(data)
}

func (w watcher) pieces(data []byte) {
	for _, p := range w.split(data) {
		w.t.InBytes(p.Data, p.N, p.Redacted, p.What)
	}
}

func (w watcher) Noted(n transport.Note) {
	switch n.Kind {
	case transport.NoteDialect:
		w.t.SetDialect(n.Text)
	case transport.NoteTLSRefused:
		if n.Offered {
			w.t.TLSRefused(n.Text)
		} else {
			w.t.Event("STARTTLS refused: " + n.Text)
		}
	case transport.NoteAuth:
		w.t.Auth(n.Mechanism, n.Identity, n.OK, n.Text)
	case transport.NoteInputRefused:
		w.t.InputRefused(n.Text)
	case transport.NoteEvent:
		w.t.Event(n.Text)
	}
}

func (w watcher) Closed(reason string) { w.t.End(reason) }

// Quiet packs the transcript while the connection is idle
// (transport.Quieter).
func (w watcher) Quiet() { w.t.Quiet() }
