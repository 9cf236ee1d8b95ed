package interop

// The report card's findings, kept as regression fixtures: for each real
// client that surprised, its own output (testdata/labmatrix/NAME.client.json)
// and jabberd's transcript of its connection (NAME.jsonl), both written by
// TestLabMatrix with JABBERD_MATRIX_TRANSCRIPTS=DIR. TestLabMatrixFindings
// needs no client installed: it runs the oracle on the kept output (so a
// change to a parser cannot silently change what the README says the
// client does) and checks, in the transcript, the bytes of the client that
// show the finding.

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"jabberd/lab"
	"jabberd/labrun"
)

// outputFixture is one cell's client output, as kept. It carries no
// verdict of jabberd's: only what the oracle may read, and the ids of the
// connections, to find their transcripts.
type outputFixture struct {
	Client      string    `json:"client"`
	Profile     string    `json:"profile"`
	Time        time.Time `json:"time"`
	Exit        int       `json:"exit"`
	TimedOut    bool      `json:"timed_out,omitempty"`
	Error       string    `json:"error,omitempty"`
	Connections []string  `json:"connections"`
	Output      string    `json:"output"`
}

// secretInOutput is what a client's debug output may show of the run's
// password: a SASL payload (sendxmpp -d prints its <auth/>), a XEP-0078
// password.
var secretInOutput = regexp.MustCompile(`(<(?:auth|response)\b[^>]*>)[^<]+(</)|(<password>)[^<]*(</password>)`)

// keepClientOutput writes a cell's client output (not its command line:
// that holds the run's password; nor a SASL payload it printed), as the
// oracle reads it.
func keepClientOutput(t *testing.T, path, client string, res labrun.Result, out clientOutput) {
	text := secretInOutput.ReplaceAllString(out.text, "$1$3[redacted]$2$4")
	f := outputFixture{Client: client, Profile: res.Profile, Time: time.Now().UTC(), Exit: out.exit, TimedOut: out.timedOut, Error: out.startErr, Output: text}
	for _, c := range res.Connections {
		f.Connections = append(f.Connections, c.ID)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err == nil {
		err = os.WriteFile(path, append(b, '\n'), 0o644)
	}
	if err != nil {
		t.Errorf("keep the client's output: %v", err)
	}
}

// transcriptRecord is one line of a kept transcript.
type transcriptRecord struct {
	Seq   int    `json:"seq"`
	Dir   string `json:"dir"`
	Phase string `json:"phase"`
	Data  string `json:"data"`
}

type keptTranscript struct {
	records []transcriptRecord
	summary lab.Summary
}

func loadTranscript(t *testing.T, path string) keptTranscript {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var k keptTranscript
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var end struct {
			Summary *lab.Summary `json:"summary"`
		}
		if err := json.Unmarshal(sc.Bytes(), &end); err == nil && end.Summary != nil {
			k.summary = *end.Summary
			continue
		}
		var r transcriptRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		k.records = append(k.records, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return k
}

// first returns the index of the first record from i on that matches.
func (k keptTranscript) first(i int, match func(transcriptRecord) bool) int {
	for ; i < len(k.records); i++ {
		if match(k.records[i]) {
			return i
		}
	}
	return -1
}

// c2s matches the client's records that begin with prefix (after
// whitespace and an XML declaration) in phase: "plaintext", "tls" (TLS up,
// logged in or not) or "" (any).
func c2s(phase, prefix string) func(transcriptRecord) bool {
	return func(r transcriptRecord) bool {
		secure := r.Phase != "plaintext"
		if r.Dir != "c2s" || (phase == "tls" && !secure) || (phase == "plaintext" && secure) {
			return false
		}
		data := strings.TrimSpace(r.Data)
		if strings.HasPrefix(data, "<?xml") {
			if _, rest, ok := strings.Cut(data, "?>"); ok {
				data = strings.TrimSpace(rest)
			}
		}
		return strings.HasPrefix(data, prefix)
	}
}

// finding is one kept surprise.
type finding struct {
	name        string // testdata/labmatrix/NAME.client.json and NAME.jsonl
	want        string // the verdict the client's output earns
	clientShows string // in the oracle's reason
	// transcript checks the client's bytes, as jabberd recorded them.
	transcript func(t *testing.T, k keptTranscript)
}

var findings = []finding{
	{
		// slixmpp 1.8.3 feeds what follows <proceed/> in the same read to
		// its XML parser, runs its SASL mechanism choice on the injected
		// features, and writes </stream:stream> in plaintext into the
		// connection after its ClientHello.
		name: "slixmpp-inject-after-proceed", want: lab.Fail,
		clientShows: "in plaintext where its ClientHello belonged",
		transcript: func(t *testing.T, k keptTranscript) {
			inj := k.first(0, func(r transcriptRecord) bool {
				return r.Dir == "s2c" && strings.HasPrefix(r.Data, "<proceed") && strings.Contains(r.Data, lab.InjectedMechanism)
			})
			if inj < 0 {
				t.Fatal("no <proceed/> with the injected features in the transcript")
			}
			if i := k.first(inj, c2s("plaintext", "</stream:stream>")); i < 0 {
				t.Error("no plaintext </stream:stream> from the client after <proceed/>")
			}
			if i := k.first(inj, c2s("tls", "")); i >= 0 {
				t.Errorf("the client's data went over TLS (record %d): the handshake did not fail", k.records[i].Seq)
			}
		},
	},
	{
		// slixmpp 1.8.3 connected by address (connect(address=(ip, port)),
		// as the interop scripts do) leaves default_domain empty: no SNI,
		// and Python checks no host name. It logs in over a certificate
		// that names only wrong.invalid.
		name: "slixmpp-cert-wrong-name", want: lab.Fail,
		clientShows: "went on over TLS",
		transcript: func(t *testing.T, k keptTranscript) {
			if k.summary.SNI != "" {
				t.Errorf("SNI %q: the finding is that slixmpp sends none", k.summary.SNI)
			}
			if k.summary.ServerCert != "lab-certs/cert-wrong-name.crt" {
				t.Errorf("server certificate %q", k.summary.ServerCert)
			}
			if k.first(0, c2s("tls", "<auth")) < 0 {
				t.Error("no SASL <auth> over TLS: slixmpp did not log in")
			}
		},
	},
	{
		// gnutls-cli sends <starttls/> without reading the features; on a
		// stripped stream jabberd answers with a stream error and closes,
		// and gnutls-cli gives up: "error receiving '<proceed'".
		name: "gnutls-strict-strip-starttls", want: lab.Pass,
		clientShows: "error receiving '<proceed'",
		transcript: func(t *testing.T, k keptTranscript) {
			feat := k.first(0, func(r transcriptRecord) bool {
				return r.Dir == "s2c" && strings.Contains(r.Data, "<stream:features")
			})
			if feat < 0 || strings.Contains(k.records[feat].Data, "starttls") {
				t.Fatal("no stream features without <starttls/> in the transcript")
			}
			if k.first(feat, c2s("plaintext", "<starttls")) < 0 {
				t.Error("the client did not send <starttls/> after features that did not offer it")
			}
			if k.first(feat, func(r transcriptRecord) bool {
				return r.Dir == "c2s" && !c2s("plaintext", "<starttls")(r)
			}) >= 0 {
				t.Error("the client sent something else in plaintext")
			}
		},
	},
	{
		// gnutls-cli 3.7.9 with its default priorities and verification
		// profile trusts a 1024-bit RSA server key ...
		name: "gnutls-strict-cert-weak-key", want: lab.Fail,
		clientShows: "went on over TLS",
		transcript: func(t *testing.T, k keptTranscript) {
			if k.summary.ServerCert != "lab-certs/cert-weak-key.crt" || k.first(0, c2s("tls", "<stream:stream")) < 0 {
				t.Errorf("want the client's stream header over TLS with cert-weak-key.crt; server_cert %q", k.summary.ServerCert)
			}
		},
	},
	{
		// ... and completes a TLS 1.0 handshake (AES-128-CBC, SHA1).
		name: "gnutls-strict-tls10-only", want: lab.Fail,
		clientShows: "went on over TLS",
		transcript: func(t *testing.T, k keptTranscript) {
			if !strings.HasPrefix(k.summary.TLS, "TLS 1.0") || k.first(0, c2s("tls", "<stream:stream")) < 0 {
				t.Errorf("want the client's stream header over TLS 1.0; tls %q", k.summary.TLS)
			}
		},
	},
	{
		// go-sendxmpp (Go's crypto/x509) accepts a 1024-bit RSA server key
		// and sends its password over that session.
		name: "go-sendxmpp-cert-weak-key", want: lab.Fail,
		clientShows: "it logged in and sent its message over TLS",
		transcript: func(t *testing.T, k keptTranscript) {
			if k.summary.ServerCert != "lab-certs/cert-weak-key.crt" || k.summary.Mechanism != "PLAIN" || k.first(0, c2s("tls", "<message")) < 0 {
				t.Errorf("want a PLAIN login and a message over cert-weak-key.crt; server_cert %q, mechanism %q", k.summary.ServerCert, k.summary.Mechanism)
			}
		},
	},
	{
		// sendxmpp (Perl, Net::XMPP) -t: IO::Socket::SSL refuses the
		// certificate, XML::Stream logs "SSL: We are secure" all the same,
		// and sendxmpp writes a new stream header in plaintext on the same
		// connection (its jabber:iq:auth login goes nowhere: the stream is
		// dead by then). The issue that asked for this matrix saw it.
		name: "sendxmpp-cert-self-signed", want: lab.Fail,
		clientShows: "in plaintext on the same connection",
		transcript: func(t *testing.T, k keptTranscript) {
			failed := k.first(0, func(r transcriptRecord) bool {
				return r.Dir == "event" && strings.HasPrefix(r.Data, "TLS handshake failed")
			})
			if failed < 0 {
				t.Fatal("no failed handshake in the transcript")
			}
			if k.first(failed, c2s("plaintext", "<stream:stream")) < 0 && k.first(failed, c2s("plaintext", "<?xml")) < 0 {
				t.Error("no plaintext stream header from the client after the failed handshake")
			}
		},
	},
	{
		// sendxmpp reads the real and the forged <proceed/> in one buffer
		// and runs XML::Stream's TLSClientProceed for each: the second
		// start_SSL writes a ClientHello on the TLS connection. (A known
		// disagreement: jabberd reads that record as the client's close.)
		name: "sendxmpp-inject-second-proceed", want: lab.Fail,
		clientShows: "second TLS handshake",
		transcript: func(t *testing.T, k keptTranscript) {
			up := k.first(0, func(r transcriptRecord) bool { return r.Dir == "event" && strings.HasPrefix(r.Data, "TLS established") })
			if up < 0 || k.first(up, func(r transcriptRecord) bool {
				return r.Dir == "event" && strings.Contains(r.Data, "received record with version 301")
			}) < 0 {
				t.Error("want TLS established, then a record with version 0x0301 (a ClientHello) on the TLS connection")
			}
		},
	},
	{
		// slixmpp 1.8.3 binds -PLUS with tls-unique, which TLS 1.3 does not
		// have (refused), then says "y" (refused as a downgrade), then
		// sends its password with PLAIN: under plus-stripped it hands the
		// man in the middle its password.
		name: "slixmpp-plus-stripped", want: lab.Fail,
		clientShows: "sent its password with PLAIN",
		transcript: func(t *testing.T, k keptTranscript) {
			if k.first(0, c2s("tls", "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'")) < 0 {
				t.Error("no PLAIN <auth/> over TLS")
			}
		},
	},
	{
		// slixmpp 1.8.3 parses the forged <success/> that came with
		// <proceed/>, its SASL handler fails on it ('NoneType' object has
		// no attribute 'process') and it hangs up before the handshake:
		// it closed instead of starting TLS (pass), after acting on the
		// forgery inside.
		name: "slixmpp-inject-success", want: lab.Pass,
		clientShows: "closed instead of starting TLS",
		transcript: func(t *testing.T, k keptTranscript) {
			if k.first(0, c2s("tls", "")) >= 0 {
				t.Error("the client sent something over TLS")
			}
		},
	},
	{
		// slixmpp 1.8.3 with a client certificate logs in with EXTERNAL,
		// takes the bind result's someone-else@localhost as its own JID
		// (boundjid) and sends its message as someone else, to someone
		// else's bare JID.
		name: "slixmpp-cert-external-wrong-identity", want: lab.Fail,
		clientShows: "the bind result named someone-else@localhost",
		transcript: func(t *testing.T, k keptTranscript) {
			if k.summary.Mechanism != "EXTERNAL" || k.first(0, c2s("tls", "<message type=\"chat\" to=\"someone-else@")) < 0 {
				t.Errorf("want an EXTERNAL login, then a message to someone-else@ over TLS; mechanism %q", k.summary.Mechanism)
			}
		},
	},
	{
		// irssi with its default starttls (only when CAP LS lists tls)
		// and SASL PLAIN configured: when tls is stripped it sends its
		// SASL PLAIN payload in plaintext to the bait.
		name: "irssi-strip-starttls", want: lab.Fail,
		clientShows: "SASL PLAIN payload before TLS",
		transcript: func(t *testing.T, k keptTranscript) {
			if k.first(0, c2s("plaintext", "AUTHENTICATE [redacted]")) < 0 {
				t.Error("no AUTHENTICATE payload in plaintext")
			}
		},
	},
	{
		// irssi reads what follows 670 in the same segment as IRC lines
		// (its rawlog shows the forged 001), then drops the connection
		// without a handshake: it did not start TLS over the injection.
		name: "irssi-starttls-inject-numerics", want: lab.Pass,
		clientShows: "closed instead of starting TLS",
		transcript: func(t *testing.T, k keptTranscript) {
			if k.first(0, c2s("tls", "")) >= 0 || k.first(0, c2s("plaintext", "NICK")) >= 0 {
				t.Error("the client registered or sent something over TLS")
			}
		},
	},
	{
		// openssl s_client -verify_hostname falls back to the subject CN
		// when the certificate has no DNS names (OpenSSL's default
		// X509_CHECK_FLAG), so even the strict configuration accepts
		// cert-cn-only; so do the other clients but go-sendxmpp (Go
		// requires a SAN).
		name: "openssl-strict-cert-cn-only", want: lab.Fail,
		clientShows: "went on over TLS",
		transcript: func(t *testing.T, k keptTranscript) {
			if k.summary.ServerCert != "lab-certs/cert-cn-only.crt" || k.first(0, c2s("tls", "")) < 0 {
				t.Errorf("want the client's data over TLS with cert-cn-only.crt; server_cert %q", k.summary.ServerCert)
			}
		},
	},
	{
		// Not the client's finding but the lab's: on `lab run --irc` the
		// cert-* ports present the server's own certificate (python3-irc
		// printed one valid until 2029, verified for localhost) while the
		// transcript records lab-certs/cert-expired.crt and fails the
		// client for accepting it.
		name: "python3-irc-cert-expired", want: lab.NotExercised,
		clientShows: "did not have the profile's fault",
		transcript: func(t *testing.T, k keptTranscript) {
			if k.summary.ServerCert != "lab-certs/cert-expired.crt" {
				t.Skipf("the transcript no longer claims cert-expired.crt (%q): the lab bug may be fixed; regenerate this fixture", k.summary.ServerCert)
			}
			if k.first(0, c2s("tls", "CAP END")) < 0 {
				t.Error("no CAP END over TLS from the client")
			}
		},
	},
}

func TestLabMatrixFindings(t *testing.T) {
	t.Parallel()
	clients := map[string]matrixClient{}
	for _, c := range matrixClients() {
		clients[c.name] = c
	}
	for _, f := range findings {
		t.Run(f.name, func(t *testing.T) {
			base := filepath.Join("testdata", "labmatrix", f.name)
			raw, err := os.ReadFile(base + ".client.json")
			if err != nil {
				t.Fatal(err)
			}
			var out outputFixture
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
			c, ok := clients[out.Client]
			p, _ := lab.Lookup(out.Profile)
			if !ok || p == nil {
				t.Fatalf("fixture for client %q, profile %q: unknown", out.Client, out.Profile)
			}
			got, why := expect(p, c.observe(clientOutput{exit: out.Exit, timedOut: out.TimedOut, startErr: out.Error, text: out.Output}),
				matrixDomain, matrixSlow, out.Time)
			if got != f.want || !strings.Contains(why, f.clientShows) {
				t.Errorf("the oracle reads %s's kept output under %s as %s (%s); want %s, saying %q", out.Client, out.Profile, got, why, f.want, f.clientShows)
			}
			f.transcript(t, loadTranscript(t, base+".jsonl"))
		})
	}
}
