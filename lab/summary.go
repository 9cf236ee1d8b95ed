package lab

import "time"

// The phases a record can be in.
const (
	PhasePlaintext     = "plaintext"
	PhaseTLS           = "tls"
	PhaseAuthenticated = "authenticated"
)

// The directions of a record: bytes from the client, bytes to it, and
// what the server noted about the connection (TLS established, a profile
// chosen, the close).
const (
	DirIn    = "c2s"
	DirOut   = "s2c"
	DirEvent = "event"
)

// Record is one entry of a transcript.
type Record struct {
	Seq   int       `json:"seq"`
	Time  time.Time `json:"time"`
	Dir   string    `json:"dir"`
	Phase string    `json:"phase"`
	// Offset is where the data starts in its direction's byte stream,
	// counted from the connection's first byte of application data
	// (plaintext, then what TLS carries); Len is its length on the wire.
	// Both are zero for events.
	Offset int64 `json:"offset"`
	Len    int   `json:"len"`
	// Data is the bytes as text with every secret redacted (for c2s
	// records it is the parsed element written back), or the event's text.
	Data     string `json:"data"`
	Redacted bool   `json:"redacted,omitempty"`
}

// Summary is the one-line view of a connection that a harness asserts on.
type Summary struct {
	ID       string `json:"id"`
	Listener string `json:"listener"` // "xmpp", "xmpp-direct", "irc" or "irc-tls"
	Local    string `json:"local"`    // the listener's address the client reached
	// PortOf is the port whose connections this one belongs with, when
	// another sent the client here (sts-bad-port's TLS port: the plaintext
	// port whose sts=port= named it).
	PortOf     string    `json:"port_of,omitempty"`
	Label      string    `json:"label,omitempty"`
	Remote     string    `json:"remote"`
	Started    time.Time `json:"started"`
	Ended      time.Time `json:"ended,omitzero"`
	Live       bool      `json:"live"`
	Profile    string    `json:"profile"`     // "" when standard
	SelectedBy string    `json:"selected_by"` // "listener", "username", "sni"
	Dialect    string    `json:"dialect"`     // "legacy", "rfc6120", "irc"
	// TLS is "none", "failed: …" or "TLS 1.3 TLS_AES_128_GCM_SHA256".
	TLS        string `json:"tls"`
	SNI        string `json:"sni,omitempty"`
	ClientCert string `json:"client_cert"` // "none", or the subject and whether it verified
	// ServerCert is the certificate the server showed in the handshake:
	// "server.crt", or the lab fault's file under lab-certs/.
	ServerCert string `json:"server_cert,omitempty"`
	Mechanism  string `json:"mechanism,omitempty"`
	Identity   string `json:"identity,omitempty"`
	// Alert is the TLS alert the client sent, by its RFC 8446 name
	// (certificate_expired), when it sent one.
	Alert string `json:"alert,omitempty"`
	// Verdict is pass, fail, inconclusive or not-exercised; Reason says
	// why in one sentence and Evidence lists the records (Seq) that show
	// it. While the connection is live the verdict is provisional.
	Verdict  string `json:"verdict"`
	Reason   string `json:"reason"`
	Evidence []int  `json:"evidence"`
	// Correlated names the earlier connection a verdict rests on (a
	// fallback to plaintext is seen across two connections).
	Correlated string `json:"correlated,omitempty"`
	// Flags are the verdict flags, in the order they were drawn; Checks
	// are the same with their result, reason and evidence.
	Flags       []string `json:"flags"`
	Checks      []Check  `json:"checks"`
	CloseReason string   `json:"close_reason,omitempty"`
	BytesIn     int64    `json:"bytes_in"`
	BytesOut    int64    `json:"bytes_out"`
	Truncated   bool     `json:"truncated,omitempty"`
}

// The results of a verdict.
const (
	Pass         = "pass"
	Fail         = "fail"
	Inconclusive = "inconclusive"
	NotExercised = "not-exercised"
)

// Check is one verdict flag with what decided it.
type Check struct {
	Flag     string `json:"flag"`
	Result   string `json:"result"` // pass or fail
	Reason   string `json:"reason"`
	Evidence []int  `json:"evidence"`
}
