package server_test

// The cases of TestLabProfiles (lab_test.go) for the response-injection
// and negotiation profiles beyond the first ones: forged answers after
// <proceed/>, STARTTLS offered late, again, without <required/>, or never
// answered. Where the naive client of labclient_naive_test.go does not
// have the habit a profile catches, the reactive client
// (labclient_negotiation_test.go) plays the naive one.

import (
	"errors"
	"strings"
	"testing"

	"jabberd/config"
	"jabberd/lab"
	"jabberd/tlspolicy"
)

// The forgeries the profiles inject after <proceed/>, as the client reads
// them.
const (
	forgedSuccess = "<success xmlns='" + nsSASL + "'/>"
	forgedProceed = "<proceed xmlns='" + labNSTLS + "'/>"
)

func negotiationLabCases() []labCase {
	return []labCase{
		{
			profile: "inject-success", by: lab.ByUsername,
			naive: reactiveClient(reactiveOpts{}),
			good:  [][]string{{"discarded-injected-data"}},
			bad:   [][]string{{"acted-on-injected-data"}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				labWantAfterProceed(t, run, forgedSuccess)
				labWantTried(t, run, "PLAIN")
				labWantBound(t, run)
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				labWantAfterProceed(t, run, forgedSuccess)
				if run.tls == nil {
					t.Fatalf("no TLS: %v", run.err)
				}
				// It never logged in: the forged success was its login,
				// and the restart it made on it was refused.
				labWantTried(t, run)
				if run.jid != "" {
					t.Errorf("bound %s without logging in", run.jid)
				}
				labWantEventPrefix(t, h, run.conns[0], "input refused: stream error restricted-xml: processing instructions")
			},
		},
		{
			profile: "inject-second-proceed", by: lab.ByListener,
			naive: reactiveClient(reactiveOpts{}),
			good:  [][]string{{"discarded-injected-data"}},
			bad:   [][]string{{"acted-on-injected-data"}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				labWantAfterProceed(t, run, forgedProceed)
				labWantTried(t, run, "PLAIN")
				labWantBound(t, run)
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				labWantAfterProceed(t, run, forgedProceed)
				if run.tls == nil || run.err == nil || !strings.Contains(run.err.Error(), "TLS inside TLS") {
					t.Errorf("the naive client ended with %v (TLS %v), want a second handshake inside TLS", run.err, run.tls != nil)
				}
				labWantTried(t, run)
				labWantEventPrefix(t, h, run.conns[0], "input refused: stream error ")
			},
		},
		{
			profile: "inject-stream-header", by: lab.ByUsername,
			good: [][]string{{"discarded-injected-data"}},
			bad:  [][]string{{lab.FlagAcceptedInjectedData}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				labWantInjectedStream(t, run)
				if strings.Contains(run.features[1], lab.InjectedMechanism) {
					t.Errorf("the features after TLS are the injected ones: %q", run.features[1])
				}
				labWantTried(t, run, "PLAIN")
				labWantBound(t, run)
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				labWantInjectedStream(t, run)
				if run.tls == nil {
					t.Fatal("no TLS")
				}
				// It took the injected header and features for the ones
				// after TLS.
				if !strings.Contains(run.features[1], lab.InjectedMechanism) {
					t.Errorf("features after TLS %q, want the injected ones", run.features[1])
				}
				labWantTried(t, run, lab.InjectedMechanism)
			},
		},
		{
			profile: "proceed-then-close", by: lab.ByListener,
			naive: reactiveClient(reactiveOpts{drain: true}),
			good:  [][]string{{"discarded-injected-data"}},
			bad:   [][]string{{"acted-on-injected-data"}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				labWantAfterProceed(t, run, closeTag)
				labWantTried(t, run, "PLAIN")
				labWantBound(t, run)
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				if !errors.Is(run.err, errLabServerClosed) || run.tls != nil || run.handshake != 0 {
					t.Errorf("the naive client ended with %v (TLS %v, handshake %v), want it to answer the injected close", run.err, run.tls != nil, run.handshake)
				}
				labWantEvent(t, h, run.conns[0], "the client sent plaintext where the TLS handshake belonged")
				if got := labClientData(t, h, run.conns[0]); len(got) == 0 || got[len(got)-1] != closeTag {
					t.Errorf("the naive client's data %q, want its own %s last, in place of a ClientHello", got, closeTag)
				}
			},
		},
		{
			profile: "starttls-late", by: lab.ByUsername,
			good: [][]string{{"aborted-on-strip"}},
			bad:  [][]string{{lab.FlagPlaintextCredentials, "continued-without-tls"}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				labWantErr(t, run, errLabNoStartTLS)
				labWantEmptyFeatures(t, run.features[0])
				if got := labClientData(t, h, run.conns[0]); len(got) != 2 || got[1] != closeTag {
					t.Errorf("the careful client sent %q, want its header and %s only", got, closeTag)
				}
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				labWantEmptyFeatures(t, run.features[0])
				labWantTried(t, run, "PLAIN")
				if run.tls != nil {
					t.Errorf("TLS happened: %+v", run.tls)
				}
			},
		},
		{
			profile: "starttls-again", by: lab.ByListener,
			naive: reactiveClient(reactiveOpts{}),
			good:  [][]string{{"ignored-second-starttls-offer"}},
			bad:   [][]string{{"asked-for-starttls-twice"}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				labWantReoffered(t, run)
				labWantTried(t, run, "PLAIN")
				labWantBound(t, run)
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				labWantReoffered(t, run)
				if run.err == nil || !strings.Contains(run.err.Error(), "policy-violation") {
					t.Errorf("the naive client ended with %v, want the stream error for its second request", run.err)
				}
				labWantTried(t, run)
			},
		},
		{
			profile: "required-missing", by: lab.ByListener,
			configure: func(cfg *config.Config) { cfg.Listen[0].TLS = tlspolicy.Required },
			naive:     reactiveClient(reactiveOpts{onlyRequired: true}),
			good:      [][]string{{"upgraded-without-required"}},
			bad:       [][]string{{lab.FlagPlaintextCredentials, "continued-without-tls"}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				labWantNoRequired(t, run.features[0])
				labWantTried(t, run, "PLAIN")
				labWantBound(t, run)
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				labWantNoRequired(t, run.features[0])
				labWantTried(t, run, "PLAIN")
				// The listener's policy held: the login was refused.
				if run.tls != nil || run.err == nil || !strings.Contains(run.err.Error(), "TLS is required on this server") {
					t.Errorf("the naive client ended with %v (TLS %v), want the policy's refusal", run.err, run.tls != nil)
				}
			},
		},
		{
			profile: "starttls-unanswered", by: lab.ByUsername,
			careful: carefulImpatient,
			naive:   reactiveClient(reactiveOpts{answerWait: labAnswerWait}),
			good:    [][]string{{"gave-up-on-unanswered-starttls"}},
			bad:     [][]string{{lab.FlagPlaintextCredentials, lab.FlagFallbackToPlaintext}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				labWantErr(t, run, errLabNoAnswer)
				if got := labClientData(t, h, run.conns[0]); len(got) != 3 || got[1] != rfcStartTLS || got[2] != closeTag {
					t.Errorf("the careful client sent %q, want its header, STARTTLS and %s", got, closeTag)
				}
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				labWantTried(t, run, "PLAIN")
				if run.tls != nil || run.tlsDue {
					t.Errorf("STARTTLS was answered (TLS %v)", run.tls != nil)
				}
			},
		},
	}
}

// labWantAfterProceed: what the client had read past <proceed/> is the
// forgery, alone.
func labWantAfterProceed(t *testing.T, run *labRun, forgery string) {
	t.Helper()
	if string(run.afterProceed) != forgery {
		t.Errorf("after <proceed/> the client had %q buffered, want the forgery %q", run.afterProceed, forgery)
	}
}

// labWantInjectedStream: what followed <proceed/> is a server header of
// the injection's own and features offering only its mechanism.
func labWantInjectedStream(t *testing.T, run *labRun) {
	t.Helper()
	got := string(run.afterProceed)
	if !strings.HasPrefix(got, "<?xml version='1.0'?><stream:stream ") || !strings.Contains(got, "id='x-jabberd-injected'") ||
		!strings.HasSuffix(got, string(xmppInjection)) {
		t.Errorf("after <proceed/> the client had %q buffered, want an injected header and %q", got, xmppInjection)
	}
}

// labWantEmptyFeatures: the first features element offers nothing.
func labWantEmptyFeatures(t *testing.T, features string) {
	t.Helper()
	if features != "<stream:features></stream:features>" {
		t.Errorf("first features %q, want an empty one", features)
	}
}

// labWantReoffered: the features after TLS offer STARTTLS again, beside
// PLAIN.
func labWantReoffered(t *testing.T, run *labRun) {
	t.Helper()
	if len(run.features) < 2 || !strings.Contains(run.features[1], rfcStartTLS) || !strings.Contains(run.features[1], "<mechanism>PLAIN</mechanism>") {
		t.Errorf("features %q: want STARTTLS offered again after TLS, beside PLAIN", run.features)
	}
}

// labWantNoRequired: STARTTLS offered alone, without <required/>.
func labWantNoRequired(t *testing.T, features string) {
	t.Helper()
	if features != "<stream:features>"+rfcStartTLS+"</stream:features>" {
		t.Errorf("features %q, want STARTTLS alone without <required/>", features)
	}
}

// labWantEventPrefix: the transcript has an event that starts with text.
func labWantEventPrefix(t *testing.T, h *harness, st *labConnStats, text string) {
	t.Helper()
	for _, r := range h.labTranscript(t, st.local).Records() {
		if r.Dir == lab.DirEvent && strings.HasPrefix(r.Data, text) {
			return
		}
	}
	t.Errorf("no event starting %q in the transcript", text)
}
