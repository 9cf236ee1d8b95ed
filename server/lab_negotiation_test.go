package server_test

// End-to-end tests of the negotiation and response-injection profiles
// beyond TestLabProfiles' table (lab_cases_negotiation_test.go): the
// legacy (XEP-0035) flows those profiles bend, and a careful client that
// reads past a first features element without STARTTLS.

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"jabberd/config"
	"jabberd/lab"
)

const (
	nsLegacyTLS  = "http://www.ietf.org/rfc/rfc2595.txt"
	nsLegacySASL = "http://www.iana.org/assignments/sasl-mechanisms"
	// labLegacyHeader declares both legacy namespaces: STARTTLS (XEP-0035)
	// and SASL (XEP-0034).
	labLegacyHeader = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:tls='" + nsLegacyTLS + "' xmlns:sasl='" + nsLegacySASL + "' to='localhost'>"
)

// legacyClient speaks XEP-0035 STARTTLS and XEP-0034 SASL. The careful one
// verifies the certificate, throws away what it read before the handshake,
// never asks for TLS twice and gives up on an unanswered request; the
// naive one keeps its read buffer across STARTTLS, asks for TLS whenever
// the header echoes xmlns:tls, takes the first mechanism offered, and when
// its request goes unanswered logs in without TLS (XEP-0078).
func legacyClient(a labAccount, careful bool) *labRun {
	run := &labRun{}
	w, err := dialLab(run, a.addr)
	if err != nil {
		run.err = err
		return run
	}
	defer w.tcp.Close()
	run.err = labLegacy(a, w, run, careful)
	return run
}

func labLegacy(a labAccount, w *labWire, run *labRun, careful bool) error {
	if err := w.send(labLegacyHeader); err != nil {
		return err
	}
	h, err := w.next()
	if err != nil {
		return err
	}
	if h.kind != "header" || !strings.Contains(h.raw, "xmlns:tls='"+nsLegacyTLS+"'") {
		w.closeStream()
		return errLabNoStartTLS
	}
	if err := w.send("<tls:starttls/>"); err != nil {
		return err
	}
	goAhead, err := w.nextWithin(labAnswerWait)
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		if careful {
			w.closeStream()
			return errLabNoAnswer
		}
		// "TLS is unavailable": XEP-0078 in plaintext.
		run.credentials = append(run.credentials, a.password)
		if err := w.send("<iq type='set' id='auth1'><query xmlns='jabber:iq:auth'><username>" + a.user + "</username><password>" + a.password + "</password><resource>lab</resource></query></iq>"); err != nil {
			return err
		}
		ans, err := w.nextElement()
		w.closeStream()
		if err == nil {
			err = fmt.Errorf("XEP-0078 login answered with %s", ans.raw)
		}
		return err
	}
	if err != nil {
		return err
	}
	if goAhead.kind != "close" {
		return fmt.Errorf("STARTTLS answered with %s", goAhead.raw)
	}
	run.tlsDue = true
	cfg := &tls.Config{ServerName: a.serverName, InsecureSkipVerify: true}
	if careful {
		cfg = &tls.Config{ServerName: a.serverName, RootCAs: a.roots, MinVersion: tls.VersionTLS12}
	}
	if err := w.startTLS(run, cfg, !careful, ioTimeout); err != nil {
		return fmt.Errorf("TLS: %w", err)
	}
	if err := w.send(labLegacyHeader); err != nil {
		return err
	}
	h, err = w.next()
	if err != nil {
		return err
	}
	run.features = append(run.features, h.raw)
	if !careful && strings.Contains(h.raw, "xmlns:tls=") {
		// Offered again: asked again.
		if err := w.send("<tls:starttls/>"); err != nil {
			return err
		}
		for {
			if _, err := w.nextElement(); err != nil {
				return err
			}
		}
	}
	mechs, err := w.nextElement()
	if err != nil {
		return err
	}
	var offered []string
	for _, m := range mechs.el.SelectElements("mechanism") {
		offered = append(offered, strings.TrimSpace(m.Text()))
	}
	run.features = append(run.features, mechs.raw)
	if len(offered) == 0 {
		return fmt.Errorf("no mechanisms in %s", mechs.raw)
	}
	mech, initial := offered[0], ""
	if careful || mech == "PLAIN" {
		mech, initial = "PLAIN", labPlainResponse(a)
		run.credentials = append(run.credentials, initial)
	}
	run.mechanisms = append(run.mechanisms, mech)
	if err := w.send("<sasl:auth mechanism='" + mech + "'>" + initial + "</sasl:auth>"); err != nil {
		return err
	}
	for {
		ans, err := w.nextElement()
		if err != nil {
			return err
		}
		switch ans.el.Tag {
		case "success":
			w.closeStream()
			return nil
		case "failure":
			w.closeStream()
			return fmt.Errorf("login refused: %s", ans.raw)
		}
	}
}

// TestLabLegacyNegotiation: the profiles that bend the legacy flow, with a
// careful and a naive legacy client each; the flags and the verdict each
// earns, and what it saw.
func TestLabLegacyNegotiation(t *testing.T) {
	cases := []struct {
		profile   string
		careful   bool
		flags     []string
		verdict   string
		checkWire func(t *testing.T, run *labRun)
	}{
		{"inject-stream-header", true, []string{"discarded-injected-data"}, lab.Pass, func(t *testing.T, run *labRun) {
			labWantInjectedLegacyStream(t, run)
			labWantTried(t, run, "PLAIN")
			if run.err != nil || strings.Contains(run.features[0], "x-jabberd-injected") {
				t.Errorf("careful client: %v, header after TLS %q", run.err, run.features[0])
			}
		}},
		{"inject-stream-header", false, []string{lab.FlagAcceptedInjectedData}, lab.Fail, func(t *testing.T, run *labRun) {
			labWantInjectedLegacyStream(t, run)
			// It took the injected header for the one after TLS.
			if !strings.Contains(run.features[0], "id='x-jabberd-injected'") {
				t.Errorf("header after TLS %q, want the injected one", run.features[0])
			}
			labWantTried(t, run, lab.InjectedMechanism)
		}},
		{"starttls-unanswered", true, []string{"gave-up-on-unanswered-starttls"}, lab.Pass, func(t *testing.T, run *labRun) {
			labWantErr(t, run, errLabNoAnswer)
		}},
		{"starttls-unanswered", false, []string{lab.FlagPlaintextCredentials, lab.FlagFallbackToPlaintext}, lab.Fail, func(t *testing.T, run *labRun) {
			if run.tlsDue || run.err == nil || !strings.Contains(run.err.Error(), "not-authorized") {
				t.Errorf("naive client ended with %v (TLS due %v), want its XEP-0078 login refused", run.err, run.tlsDue)
			}
		}},
		{"starttls-again", true, []string{"ignored-second-starttls-offer"}, lab.Pass, func(t *testing.T, run *labRun) {
			labWantLegacyReoffered(t, run)
			labWantTried(t, run, "PLAIN")
		}},
		{"starttls-again", false, []string{"asked-for-starttls-twice"}, lab.Fail, func(t *testing.T, run *labRun) {
			labWantLegacyReoffered(t, run)
			if run.err == nil || !strings.Contains(run.err.Error(), "policy-violation") {
				t.Errorf("naive client ended with %v, want the stream error for its second request", run.err)
			}
		}},
	}
	for _, c := range cases {
		kind := "naive"
		if c.careful {
			kind = "careful"
		}
		t.Run(c.profile+"/"+kind, func(t *testing.T) {
			t.Parallel()
			h := start(t, func(cfg *config.Config) { cfg.Listen[0].Profile = c.profile })
			acct := labAccount{addr: h.addr, user: "alice", password: h.password("alice"), serverName: "localhost", roots: h.Roots}
			run := legacyClient(acct, c.careful)
			t.Logf("client ended with %v, mechanisms %v", run.err, run.mechanisms)
			if len(run.conns) != 1 {
				t.Fatalf("%d connections, want 1", len(run.conns))
			}
			tr := h.labTranscript(t, run.conns[0].local)
			sum := tr.Summary()
			if sum.Profile != c.profile || sum.Dialect != "legacy" {
				t.Errorf("profile %q dialect %q, want %q legacy", sum.Profile, sum.Dialect, c.profile)
			}
			if !labSameFlags(sum.Flags, c.flags) || sum.Verdict != c.verdict {
				t.Errorf("flags %q verdict %s (%s), want %q %s", sum.Flags, sum.Verdict, sum.Reason, c.flags, c.verdict)
			}
			labCheckRecords(t, tr, run.conns[0])
			labCheckRedacted(t, h, run)
			c.checkWire(t, run)
		})
	}
}

// labWantInjectedLegacyStream: XEP-0035's </stream:stream> came with a
// second header in plaintext, echoing the client's SASL prefix, and
// XEP-0034 mechanisms listing only the injection's.
func labWantInjectedLegacyStream(t *testing.T, run *labRun) {
	t.Helper()
	want := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:sasl='" + nsLegacySASL +
		"' id='x-jabberd-injected' from='localhost'><sasl:mechanisms><sasl:mechanism>" + lab.InjectedMechanism + "</sasl:mechanism></sasl:mechanisms>"
	if string(run.afterProceed) != want {
		t.Errorf("after the legacy go-ahead the client had %q buffered, want %q", run.afterProceed, want)
	}
}

// labWantLegacyReoffered: the header after TLS echoes xmlns:tls again.
func labWantLegacyReoffered(t *testing.T, run *labRun) {
	t.Helper()
	if len(run.features) == 0 || !strings.Contains(run.features[0], "xmlns:tls='"+nsLegacyTLS+"'") {
		t.Errorf("header after TLS %q, want xmlns:tls echoed again", run.features)
	}
}

// TestLabStartTLSLateRead: a careful client that reads every features
// element the server sent with its header finds the STARTTLS offered in
// the second one, asks for it, and logs in over TLS.
func TestLabStartTLSLateRead(t *testing.T) {
	h := start(t, func(cfg *config.Config) { cfg.Listen[0].Profile = "starttls-late" })
	acct := labAccount{addr: h.addr, user: "alice", password: h.password("alice"), serverName: "localhost", roots: h.Roots}
	run := &labRun{}
	w, err := dialLab(run, acct.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer w.tcp.Close()
	run.err = func() error {
		f, err := w.open("")
		if err != nil {
			return err
		}
		for childNS(f.el, "starttls", labNSTLS) == nil {
			run.features = append(run.features, f.raw)
			if f, err = w.nextWithin(labAnswerWait); err != nil {
				return fmt.Errorf("no features element offers STARTTLS: %w", err)
			}
		}
		run.features = append(run.features, f.raw)
		if err := w.send(rfcStartTLS); err != nil {
			return err
		}
		if ans, err := w.nextElement(); err != nil || ans.el.Tag != "proceed" {
			return fmt.Errorf("STARTTLS answered %v %v", ans.raw, err)
		}
		if err := w.startTLS(run, &tls.Config{ServerName: acct.serverName, RootCAs: acct.roots}, false, ioTimeout); err != nil {
			return err
		}
		if _, err := w.open(""); err != nil {
			return err
		}
		run.credentials = append(run.credentials, labPlainResponse(acct))
		if ans, err := w.auth(run, "PLAIN", labPlainResponse(acct)); err != nil || ans.el.Tag != "success" {
			return fmt.Errorf("login answered %v %v", ans.raw, err)
		}
		if _, err := w.open(""); err != nil {
			return err
		}
		if run.jid, err = w.bind(); err != nil {
			return err
		}
		w.closeStream()
		return nil
	}()
	if len(run.features) != 2 || run.features[0] != "<stream:features></stream:features>" || run.features[1] != "<stream:features>"+rfcStartTLS+"</stream:features>" {
		t.Errorf("features %q, want an empty one, then STARTTLS", run.features)
	}
	labWantBound(t, run)
	tr := h.labTranscript(t, run.conns[0].local)
	if sum := tr.Summary(); !labSameFlags(sum.Flags, []string{"asked-for-later-starttls"}) || sum.Verdict != lab.Pass {
		t.Errorf("flags %q verdict %s (%s), want asked-for-later-starttls, pass", sum.Flags, sum.Verdict, sum.Reason)
	}
	labCheckRecords(t, tr, run.conns[0])
	labCheckRedacted(t, h, run)
}
