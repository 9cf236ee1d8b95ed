package lab

import (
	"encoding/json"
	"slices"
	"sync"
	"time"

	"jabberd/starttls"
)

// Transcript records one connection. Its methods are safe for concurrent
// use (the connection writes, the status page reads).
//
// A live session keeps its Transcript for as long as it lasts: its fields
// are kept to what is read (the struct is in the 768-byte size class).
type Transcript struct {
	rec *Recorder
	// key correlates this connection with the same client's others: the
	// per-profile port or label and the address ("" when there is nothing
	// to correlate by; keyDesc says it in words). Set at Open, never
	// written again.
	key string

	mu      sync.Mutex
	sum     Summary
	profile *Profile // in force; sum.Profile is its name
	// records are the entries made since the transcript was last packed,
	// records packedRecs on (pack.go); the earlier ones are in chunks.
	records    []entry
	packedRecs int32
	inflated   int32 // chunks inflated so far: what reading packed records cost
	// arena holds the data of every record, one after the other: a
	// transcript is two allocations that grow, not one per record, and
	// neither holds pointers for the collector to follow.
	arena []byte
	// base is where arena starts in the transcript's data: what came
	// before is in chunks, deflated when the connection went quiet
	// (pack.go).
	base     int64
	chunks   []chunk
	size     int // bytes of c2s and s2c data kept
	phase    string
	verdict  verdict
	maxBytes int
	done     chan struct{} // closed by End; made when first asked for (Done)
}

// closed is the Done of a transcript that ended before anyone asked.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Done is closed when the connection has ended and its verdict is final.
func (t *Transcript) Done() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done == nil {
		if !t.sum.Live {
			return closed
		}
		t.done = make(chan struct{})
	}
	return t.done
}

// Phase returns the current phase.
func (t *Transcript) Phase() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.phase
}

// In records what the client sent: data is the redacted text, n its length
// on the wire. what says what it was, for the verdicts.
func (t *Transcript) In(data string, n int, redacted bool, what Input) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.add(Record{Dir: DirIn, Offset: t.sum.BytesIn, Len: n, Data: data, Redacted: redacted})
	t.sum.BytesIn += int64(n)
	t.verdict.input(t, what)
}

// InBytes is In for data the caller has as bytes (it is copied).
func (t *Transcript) InBytes(data []byte, n int, redacted bool, what Input) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.maxBytes > 0 && t.size+len(data) > t.maxBytes {
		t.markTruncated()
	} else {
		t.size += len(data)
		t.pushBytes(dirIn, t.sum.BytesIn, n, data, redacted)
	}
	t.sum.BytesIn += int64(n)
	t.verdict.input(t, what)
}

// Keeps reports whether n more bytes of data would still be kept: past
// the bound, callers skip the work of writing the data out (Skip then
// counts it).
func (t *Transcript) Keeps(n int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.maxBytes <= 0 || t.size+n <= t.maxBytes
}

// Skip accounts for client input that is not kept (the transcript is
// full): offsets and verdicts go on, the data is dropped.
func (t *Transcript) Skip(n int, what Input) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.markTruncated()
	t.sum.BytesIn += int64(n)
	t.verdict.input(t, what)
}

// InputRefused records client input that the server refused with a stream
// error (not well-formed, restricted XML: an XML declaration that opens a
// new stream where no restart is due). Its bytes are unknown, so it is an
// event rather than data, but for the verdicts it is the client's next move
// like any element.
func (t *Transcript) InputRefused(why string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.add(Record{Dir: DirEvent, Data: "input refused: " + why})
	t.verdict.input(t, Input{Kind: "refused"})
}

// Out records what the server wrote.
func (t *Transcript) Out(data []byte, redacted bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case redacted:
		t.add(Record{Dir: DirOut, Offset: t.sum.BytesOut, Len: len(data), Data: "[SASL payload redacted]", Redacted: true})
	case t.maxBytes > 0 && t.size+len(data) > t.maxBytes:
		t.markTruncated() // not kept
	default:
		t.size += len(data)
		t.pushBytes(dirOut, t.sum.BytesOut, len(data), data, false)
	}
	t.sum.BytesOut += int64(len(data))
}

// Event records something the server noted.
func (t *Transcript) Event(text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.add(Record{Dir: DirEvent, Data: text})
}

// SetDialect records the dialect of the stream.
func (t *Transcript) SetDialect(d string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sum.Dialect = d
}

// Choose records that a profile is in force from now on.
func (t *Transcript) Choose(p *Profile, by string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	name := ""
	if p != nil {
		name = p.Name
	}
	if name == t.sum.Profile && by == t.sum.SelectedBy {
		return
	}
	t.profile = p
	t.sum.Profile, t.sum.SelectedBy = name, by
	if name == "" {
		name = "standard"
	}
	t.add(Record{Dir: DirEvent, Data: "profile " + name + " (selected by " + by + ")"})
}

// TLSRequested records a STARTTLS request (or the start of direct TLS).
func (t *Transcript) TLSRequested() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.verdict.tlsRequested = true
}

// TLSRefused records that the server refused STARTTLS.
func (t *Transcript) TLSRefused(reason string) {
	t.mu.Lock()
	t.add(Record{Dir: DirEvent, Data: "STARTTLS refused: " + reason})
	t.verdict.tlsRefused = true
	t.mu.Unlock()
	t.noteFailure("STARTTLS refused")
}

// noteFailure tells the recorder this connection was refused or failed its
// handshake, for the fallback correlation; called without t.mu (the
// recorder then looks at the client's other connections).
func (t *Transcript) noteFailure(what string) {
	if t.rec != nil && t.key != "" { // key and ID never change after Open
		t.rec.failed(t, what)
	}
}

// TLSEstablished records the handshake's outcome; clientCert describes the
// certificate the client showed ("none" if none).
func (t *Transcript) TLSEstablished(version, cipher, sni, clientCert string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sum.TLS = version + " " + cipher
	t.sum.ServerCert = t.serverCert()
	t.sum.SNI = sni
	t.sum.ClientCert = clientCert
	t.phase = PhaseTLS
	t.add(Record{Dir: DirEvent, Data: "TLS established: " + t.sum.TLS})
	t.verdict.tlsDone = true
	t.verdict.tls(t)
	t.conclude()
}

// TLSFailed records a failed handshake: Go's error, the client's alert by
// its RFC 8446 name when one was read ("" otherwise), the server name the
// client asked for, and whether the client sent plaintext where its
// ClientHello belonged.
func (t *Transcript) TLSFailed(err, alert, sni string, plaintext bool) {
	t.HandshakeFailed(Failure{Err: err, Alert: alert, SNI: sni, Plaintext: plaintext})
}

// Failure is what the core saw of a failed handshake (transport's
// HandshakeFailure, in the lab's words).
type Failure struct {
	Err, Alert, SNI string
	// Plaintext: the client sent plaintext where its ClientHello belonged.
	Plaintext bool
	// SecondHello: the client started its handshake over.
	SecondHello bool
}

// HandshakeFailed records a failed handshake.
func (t *Transcript) HandshakeFailed(f Failure) {
	if t.tlsFailed(f) {
		t.noteFailure("its TLS handshake failed (" + t.verdict.tlsFailed.how() + ")")
	}
}

// tlsFailed records the failure under t.mu and reports whether the client
// failed it (a fallback may follow).
func (t *Transcript) tlsFailed(f Failure) bool {
	err, alert, sni, plaintext := f.Err, f.Alert, f.SNI, f.Plaintext
	t.mu.Lock()
	defer t.mu.Unlock()
	if alert == "" {
		alert, _ = starttls.RemoteAlert(err)
	}
	t.sum.TLS = "failed: " + err
	if alert != "" {
		t.sum.TLS = "failed: the client sent alert " + alert
		t.sum.Alert = alert
	}
	if sni != "" {
		t.sum.SNI = sni
	}
	t.sum.ServerCert = t.serverCert()
	t.add(Record{Dir: DirEvent, Data: "TLS handshake failed: " + err})
	if alert != "" {
		t.add(Record{Dir: DirEvent, Data: "the client sent TLS alert " + alert})
	}
	if f.SecondHello {
		t.add(Record{Dir: DirEvent, Data: "the client sent a second ClientHello: it started its handshake over"})
	}
	t.verdict.tlsFailed = handshakeEnd{failed: true, err: err, alert: alert, plaintext: plaintext, secondHello: f.SecondHello}
	t.verdict.tls(t)
	return t.verdict.tlsFailed.byClient() || plaintext
}

// Late records that what the client sends from now on came after the
// server ended the exchange (after names what: "the failed TLS handshake",
// "the refused STARTTLS"): the connection only listens, and anything but a
// close is the client going on in plaintext.
func (t *Transcript) Late(after string, sent bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.verdict.late = after
	if sent && t.phase != PhasePlaintext {
		// Past the end of TLS the socket carries plaintext again.
		t.phase = PhasePlaintext
	}
	if sent {
		t.add(Record{Dir: DirEvent, Data: "the client went on sending after " + after + "; recorded, never parsed"})
	} else {
		t.add(Record{Dir: DirEvent, Data: "listened after " + after + ": the client sent nothing more"})
	}
}

// serverCert names the certificate the profile in force presents.
func (t *Transcript) serverCert() string {
	if p := t.profile; p != nil && p.Effect.CertFault != "" {
		return FaultDir + "/cert-" + p.Effect.CertFault + ".crt"
	}
	return "server.crt"
}

// Auth records an authentication outcome.
func (t *Transcript) Auth(mechanism, identity string, ok bool, reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sum.Mechanism = mechanism
	if ok {
		t.sum.Identity = identity
		t.phase = PhaseAuthenticated
		t.add(Record{Dir: DirEvent, Data: "authenticated as " + identity + " with " + mechanism})
	} else {
		t.add(Record{Dir: DirEvent, Data: "authentication with " + mechanism + " failed: " + reason})
	}
	t.verdict.auth(t, mechanism, ok)
}

// End closes the transcript: the verdicts that depend on how the
// connection ended are drawn, and the recorder keeps it among the recent ones.
func (t *Transcript) End(reason string) {
	if reason == "" {
		reason = "connection ended"
	}
	t.mu.Lock()
	if !t.sum.Live {
		t.mu.Unlock()
		return
	}
	t.sum.Live = false
	t.sum.Ended = time.Now()
	t.sum.CloseReason = reason
	t.add(Record{Dir: DirEvent, Data: "closed: " + reason})
	t.verdict.end(t, reason)
	t.conclude()
	if t.done != nil {
		close(t.done)
	}
	t.mu.Unlock()
	if t.rec != nil {
		t.rec.ended(t)
	}
}

// Summary returns a copy of the summary.
func (t *Transcript) Summary() Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sum
	s.Flags = nonNil(slices.Clone(s.Flags))
	s.Evidence = nonNil(slices.Clone(s.Evidence))
	s.Checks = nonNil(slices.Clone(s.Checks))
	for i := range s.Checks {
		s.Checks[i].Evidence = slices.Clone(s.Checks[i].Evidence)
	}
	return s
}

// Records returns a copy of the records.
func (t *Transcript) Records() []Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Record, t.numRecords())
	w := walker{t: t}
	for i := range out {
		e := w.entry(i)
		data := w.data(e)
		out[i] = Record{
			Seq: i + 1, Time: time.Unix(0, e.at), Dir: dirNames[e.dir], Phase: phaseNames[e.phase],
			Offset: e.offset, Len: int(e.n), Data: string(data), Redacted: e.redacted,
		}
	}
	return out
}

// MarshalJSONL writes the transcript as JSON lines: one object per record,
// then {"summary": …}.
func (t *Transcript) MarshalJSONL() []byte {
	recs, sum := t.Records(), t.Summary()
	var out []byte
	for _, r := range recs {
		b, _ := json.Marshal(r) // a Record always marshals
		out = append(append(out, b...), '\n')
	}
	b, _ := json.Marshal(struct {
		Summary Summary `json:"summary"`
	}{sum})
	return append(append(out, b...), '\n')
}
