package server_test

// The lab's SASL downgrade profiles end to end: a careful and a naive
// SCRAM client (xdg-go/scram underneath) against a real server over
// loopback with real TLS, and the verdict each connection earns. The
// careful client does what RFC 5802, RFC 9266 and XEP-0474 ask: it binds
// with tls-exporter when it can, says "y" when it can but sees no -PLUS,
// checks XEP-0474's hash when the server sends one, verifies the server
// signature, compares the bound JID with its own, and never falls back to
// PLAIN; the naive one logs in with SCRAM-SHA-256 and "n" whatever is
// offered, and believes every answer.
//
// The profiles are not in TestLabProfiles' table (lab_cases_test.go),
// whose clients speak only EXTERNAL and PLAIN: they are here.

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xdg-go/scram"

	"jabberd/config"
	"jabberd/lab"
)

// saslLabClient is what a SCRAM lab client can do.
type saslLabClient struct {
	careful bool
	canBind bool // tls-exporter (RFC 9266)
	xep0474 bool // checks the server-first message's h
	cert    bool // holds alice's certificate and logs in with EXTERNAL
}

// saslLabRun is what the client did and saw, on top of labRun's.
type saslLabRun struct {
	*labRun
	gs2         string // the GS2 header it sent ("" for EXTERNAL)
	serverFirst string // the server-first message it got
	success     *string
	presence    bool // it sent presence after binding
}

var (
	errSASLDowngrade   = errors.New("XEP-0474: the server's hash does not match the features it was shown")
	errSASLServerFinal = errors.New("the server signature does not verify")
	errSASLIdentity    = errors.New("the bound JID is not the identity the client authenticated as")
	errSASLNoMechanism = errors.New("no acceptable mechanism")
)

func (c saslLabClient) run(h *harness, from string) *saslLabRun {
	run := &saslLabRun{labRun: &labRun{}}
	w, err := dialLab(run.labRun, h.addr)
	if err != nil {
		run.err = err
		return run
	}
	defer w.tcp.Close()
	run.err = c.login(h, w, run, from)
	return run
}

func (c saslLabClient) login(h *harness, w *labWire, run *saslLabRun, from string) error {
	f, err := w.open(from)
	if err != nil {
		return err
	}
	run.features = append(run.features, f.raw)
	if err := w.send(rfcStartTLS); err != nil {
		return err
	}
	if ans, err := w.nextElement(); err != nil || ans.el.Tag != "proceed" {
		return fmt.Errorf("STARTTLS: %v %v", ans.raw, err)
	}
	cfg := &tls.Config{ServerName: "localhost", RootCAs: h.Roots, MinVersion: tls.VersionTLS12}
	if !c.careful {
		cfg = &tls.Config{InsecureSkipVerify: true}
	}
	if c.cert {
		cert, _ := h.clientCert("alice")
		cfg.Certificates = []tls.Certificate{cert}
	}
	if err := w.startTLS(run.labRun, cfg, false, ioTimeout); err != nil {
		return err
	}
	if f, err = w.open(from); err != nil {
		return err
	}
	run.features = append(run.features, f.raw)
	offered := labMechanisms(f.el)
	var cbTypes []string
	if cb := childNS(f.el, "sasl-channel-binding", "urn:xmpp:sasl-cb:0"); cb != nil {
		cbTypes = []string{}
		for _, e := range cb.SelectElements("channel-binding") {
			cbTypes = append(cbTypes, e.SelectAttrValue("type", ""))
		}
	}
	var ok bool
	switch {
	case c.cert && slices.Contains(offered, "EXTERNAL"):
		ok, err = c.external(w, run)
	case slices.Contains(offered, "SCRAM-SHA-256"), slices.Contains(offered, "SCRAM-SHA-256-PLUS"):
		ok, err = c.scram(h, w, run, offered, cbTypes)
	default:
		w.closeStream()
		return errSASLNoMechanism
	}
	if err != nil || !ok {
		return err
	}
	if _, err := w.open(from); err != nil {
		return err
	}
	if run.jid, err = w.bind(); err != nil {
		return err
	}
	if c.careful && !strings.HasPrefix(run.jid, "alice@localhost/") {
		w.closeStream()
		return errSASLIdentity
	}
	if !c.careful {
		run.presence = true
		if err := w.send("<presence/>"); err != nil {
			return err
		}
	}
	w.closeStream()
	return nil
}

// external logs in with the certificate (XEP-0178: no authorization
// identity for a certificate with one JID).
func (c saslLabClient) external(w *labWire, run *saslLabRun) (bool, error) {
	ans, err := w.auth(run.labRun, "EXTERNAL", "=")
	if err != nil {
		return false, err
	}
	if ans.el.Tag != "success" {
		w.closeStream()
		return false, fmt.Errorf("EXTERNAL: %s", ans.raw)
	}
	data := ans.el.Text()
	run.success = &data
	return true, nil
}

// scram runs SCRAM-SHA-256(-PLUS). It reports whether the client accepts
// the login.
func (c saslLabClient) scram(h *harness, w *labWire, run *saslLabRun, offered, cbTypes []string) (bool, error) {
	client, err := scram.SHA256.NewClient("alice", h.password("alice"), "")
	if err != nil {
		return false, err
	}
	mech := "SCRAM-SHA-256"
	var conv *scram.ClientConversation
	switch {
	case c.careful && c.canBind && slices.Contains(offered, "SCRAM-SHA-256-PLUS"):
		cb, err := scram.NewTLSExporterBinding(run.tls)
		if err != nil {
			return false, err
		}
		mech, conv = "SCRAM-SHA-256-PLUS", client.NewConversationWithChannelBinding(cb)
	case c.careful && c.canBind:
		// It can bind and sees no -PLUS: RFC 5802 §6 says "y".
		conv = client.NewConversationAdvertisingChannelBinding()
	default:
		conv = client.NewConversation()
	}
	first, err := conv.Step("")
	if err != nil {
		return false, err
	}
	run.gs2 = first[:strings.Index(first, "n=")]
	run.mechanisms = append(run.mechanisms, mech)
	if err := w.send("<auth xmlns='" + nsSASL + "' mechanism='" + mech + "'>" + base64.StdEncoding.EncodeToString([]byte(first)) + "</auth>"); err != nil {
		return false, err
	}
	for {
		it, err := w.nextElement()
		if err != nil {
			return false, err
		}
		data, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(it.el.Text()))
		if derr != nil {
			return false, derr
		}
		switch it.el.Tag {
		case "challenge":
			run.serverFirst = string(data)
			if c.careful && c.xep0474 && ssdpMismatch(run.serverFirst, offered, cbTypes) {
				// XEP-0474 §4.2: the client MUST fail the authentication.
				if err := w.send("<abort xmlns='" + nsSASL + "'/>"); err != nil {
					return false, err
				}
				if _, err := w.nextElement(); err != nil {
					return false, err
				}
				w.closeStream()
				return false, errSASLDowngrade
			}
			final, err := conv.Step(run.serverFirst)
			if err != nil {
				return false, err
			}
			if err := w.send("<response xmlns='" + nsSASL + "'>" + base64.StdEncoding.EncodeToString([]byte(final)) + "</response>"); err != nil {
				return false, err
			}
		case "success":
			s := string(data)
			run.success = &s
			if c.careful {
				// RFC 5802 §5: a server signature that differs (or is
				// missing) fails the authentication.
				if _, err := conv.Step(s); err != nil || !conv.Valid() {
					// "It might have to drop the connection": the stream
					// cannot be closed politely here, where RFC 6120 wants
					// a new stream header.
					w.tcp.Close()
					return false, fmt.Errorf("%w: %v", errSASLServerFinal, err)
				}
			}
			return true, nil
		default:
			w.closeStream()
			return false, fmt.Errorf("%s: %s", mech, it.raw)
		}
	}
}

// ssdpMismatch is the client's side of XEP-0474 §4.2: the hash of the
// mechanisms and channel-binding types it was shown, against the
// server-first message's h (none: nothing to compare).
func ssdpMismatch(serverFirst string, mechanisms, cbTypes []string) bool {
	_, h, ok := strings.Cut(serverFirst, ",h=")
	if !ok {
		return false
	}
	h, _, _ = strings.Cut(h, ",")
	return h != xep0474Hash(mechanisms, cbTypes)
}

// xep0474Hash is XEP-0474 §4.1 with SHA-256, written again on the client's
// side (cbTypes nil: no XEP-0440 advertisement).
func xep0474Hash(mechanisms, cbTypes []string) string {
	s := strings.Join(slices.Sorted(slices.Values(mechanisms)), "\x1e")
	if cbTypes != nil {
		s += "\x1f" + strings.Join(slices.Sorted(slices.Values(cbTypes)), "\x1e")
	}
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// saslLabCase is one profile and client, and what its connection earns.
type saslLabCase struct {
	name, profile string
	client        saslLabClient
	from          string // a stream header from with a +profile tag ("": the listener's profile)
	flags         []string
	verdict       string
	wire          func(t *testing.T, run *saslLabRun)
}

func saslLabCases() []saslLabCase {
	careful := saslLabClient{careful: true, canBind: true}
	naive := saslLabClient{}
	strippedFeatures := func(t *testing.T, run *saslLabRun) {
		t.Helper()
		f := run.features[1]
		if strings.Contains(f, "-PLUS") || strings.Contains(f, "sasl-channel-binding") || !strings.Contains(f, "<mechanism>SCRAM-SHA-256</mechanism>") {
			t.Errorf("features after TLS %q: want SCRAM-SHA-256 without -PLUS or channel-binding types", f)
		}
	}
	realHash := xep0474Hash([]string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "PLAIN"}, []string{"tls-exporter", "tls-server-end-point"})
	wantHash := func(t *testing.T, run *saslLabRun) {
		t.Helper()
		if !strings.HasSuffix(run.serverFirst, ",h="+realHash) {
			t.Errorf("server-first %q: want XEP-0474's h over the real list, %s", run.serverFirst, realHash)
		}
	}
	noH := func(t *testing.T, run *saslLabRun) {
		t.Helper()
		if strings.Contains(run.serverFirst, ",h=") {
			t.Errorf("server-first %q carries h outside plus-stripped-xep0474", run.serverFirst)
		}
	}
	bound := func(want string) func(*testing.T, *saslLabRun) {
		return func(t *testing.T, run *saslLabRun) {
			t.Helper()
			if run.jid != want {
				t.Errorf("bound %q (%v), want %q", run.jid, run.err, want)
			}
		}
	}
	both := func(fs ...func(*testing.T, *saslLabRun)) func(*testing.T, *saslLabRun) {
		return func(t *testing.T, run *saslLabRun) {
			t.Helper()
			for _, f := range fs {
				f(t, run)
			}
		}
	}
	wantErr := func(want error) func(*testing.T, *saslLabRun) {
		return func(t *testing.T, run *saslLabRun) {
			t.Helper()
			if !errors.Is(run.err, want) || run.jid != "" {
				t.Errorf("client ended with %v, bound %q; want %v and no session", run.err, run.jid, want)
			}
		}
	}
	wantGS2 := func(gs2 string) func(*testing.T, *saslLabRun) {
		return func(t *testing.T, run *saslLabRun) {
			t.Helper()
			if run.gs2 != gs2 {
				t.Errorf("GS2 header %q, want %q", run.gs2, gs2)
			}
		}
	}
	return []saslLabCase{
		{name: "standard/careful", client: saslLabClient{careful: true, canBind: true, xep0474: true, cert: false},
			verdict: lab.NotExercised, wire: both(bound("alice@localhost/lab"), wantGS2("p=tls-exporter,,"), noH)},
		{name: "plus-stripped/careful", profile: "plus-stripped", client: careful,
			flags: []string{"kept-channel-binding"}, verdict: lab.Pass,
			wire: both(strippedFeatures, wantGS2("y,,"), func(t *testing.T, run *saslLabRun) {
				if run.err == nil || !strings.Contains(run.err.Error(), "downgrade detected") || run.serverFirst != "" {
					t.Errorf("client ended with %v after server-first %q, want the downgrade refused at once", run.err, run.serverFirst)
				}
			})},
		{name: "plus-stripped/careful by header", profile: "plus-stripped", client: careful, from: "alice+plus-stripped@localhost",
			flags: []string{"kept-channel-binding"}, verdict: lab.Pass, wire: both(strippedFeatures, wantGS2("y,,"))},
		{name: "plus-stripped/naive", profile: "plus-stripped", client: naive,
			flags: []string{"accepted-plus-stripping"}, verdict: lab.Fail,
			wire: both(strippedFeatures, wantGS2("n,,"), noH, bound("alice@localhost/lab"))},
		{name: "plus-stripped-xep0474/careful", profile: "plus-stripped-xep0474", client: saslLabClient{careful: true, xep0474: true},
			flags: []string{"detected-downgrade"}, verdict: lab.Pass,
			wire: both(strippedFeatures, wantGS2("n,,"), wantHash, wantErr(errSASLDowngrade))},
		{name: "plus-stripped-xep0474/careful binding", profile: "plus-stripped-xep0474", client: saslLabClient{careful: true, canBind: true, xep0474: true},
			flags: []string{"kept-channel-binding"}, verdict: lab.Pass, wire: both(strippedFeatures, wantGS2("y,,"))},
		{name: "plus-stripped-xep0474/naive", profile: "plus-stripped-xep0474", client: naive,
			flags: []string{"ignored-downgrade-protection"}, verdict: lab.Fail,
			wire: both(strippedFeatures, wantHash, bound("alice@localhost/lab"))},
		{name: "scram-bad-server-signature/careful", profile: "scram-bad-server-signature", client: careful,
			flags: []string{"rejected-bad-server-signature"}, verdict: lab.Pass,
			wire: both(wantGS2("p=tls-exporter,,"), wantErr(errSASLServerFinal), func(t *testing.T, run *saslLabRun) {
				if run.success == nil || !strings.HasPrefix(*run.success, "v=") {
					t.Errorf("success data %v, want a server-final message", run.success)
				}
			})},
		{name: "scram-bad-server-signature/naive", profile: "scram-bad-server-signature", client: naive,
			flags: []string{"accepted-bad-server-signature"}, verdict: lab.Fail, wire: bound("alice@localhost/lab")},
		{name: "success-without-final/careful", profile: "success-without-final", client: careful,
			flags: []string{"rejected-missing-server-final"}, verdict: lab.Pass,
			wire: both(wantErr(errSASLServerFinal), func(t *testing.T, run *saslLabRun) {
				if run.success == nil || *run.success != "" {
					t.Errorf("success data %v, want none", run.success)
				}
			})},
		{name: "success-without-final/naive", profile: "success-without-final", client: naive,
			flags: []string{"accepted-missing-server-final"}, verdict: lab.Fail, wire: bound("alice@localhost/lab")},
		{name: "external-wrong-identity/careful", profile: "external-wrong-identity", client: saslLabClient{careful: true, canBind: true, cert: true},
			flags: []string{"refused-wrong-identity"}, verdict: lab.Pass,
			wire: both(bound("someone-else@localhost/lab"), func(t *testing.T, run *saslLabRun) {
				labWantTried(t, run.labRun, "EXTERNAL")
				if !errors.Is(run.err, errSASLIdentity) || run.presence {
					t.Errorf("client ended with %v (presence sent: %v), want %v", run.err, run.presence, errSASLIdentity)
				}
			})},
		{name: "external-wrong-identity/naive", profile: "external-wrong-identity", client: saslLabClient{cert: true},
			flags: []string{"accepted-wrong-identity"}, verdict: lab.Fail, wire: bound("someone-else@localhost/lab")},
		{name: "external-wrong-identity/SCRAM", profile: "external-wrong-identity", client: careful,
			verdict: lab.NotExercised, wire: bound("alice@localhost/lab")},
	}
}

// TestLabSASLProfiles runs each case against its own server.
func TestLabSASLProfiles(t *testing.T) {
	for _, c := range saslLabCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runSASLLabCase(t, c)
		})
	}
}

func runSASLLabCase(t *testing.T, c saslLabCase) {
	h := start(t, func(cfg *config.Config) {
		if c.from == "" {
			cfg.Listen[0].Profile = c.profile
		}
	})
	from := c.from
	if from == "" {
		from = "alice@localhost"
	}
	run := c.client.run(h, from)
	t.Logf("client ended with %v, mechanisms %v, GS2 %q, bound %q", run.err, run.mechanisms, run.gs2, run.jid)
	if len(run.conns) != 1 {
		t.Fatalf("%d connections, want 1", len(run.conns))
	}
	tr := h.labTranscript(t, run.conns[0].local)
	sum := tr.Summary()
	by := lab.ByListener
	if c.from != "" {
		by = lab.ByUsername
	}
	if c.profile != "" && (sum.Profile != c.profile || sum.SelectedBy != by) {
		t.Errorf("profile %q selected by %q, want %q by %q", sum.Profile, sum.SelectedBy, c.profile, by)
	}
	if !labSameFlags(sum.Flags, c.flags) || sum.Verdict != c.verdict {
		t.Errorf("flags %q verdict %s (%s), want %q %s", sum.Flags, sum.Verdict, sum.Reason, c.flags, c.verdict)
	}
	labCheckRecords(t, tr, run.conns[0])
	labCheckRedacted(t, h, run.labRun)
	c.wire(t, run)
}
