package irc

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"jabberd/accounts"
)

// memAccounts is an account store in memory.
type memAccounts map[string]*accounts.Account

func (s memAccounts) Lookup(name string) (*accounts.Account, error) {
	if a, ok := s[name]; ok {
		return a, nil
	}
	return nil, accounts.ErrNotFound
}

var (
	testAccountsOnce sync.Once
	testAccounts     memAccounts
)

// transcriptAccounts are alice/alice-pw and bob/bob-pw.
func transcriptAccounts(t *testing.T) memAccounts {
	testAccountsOnce.Do(func() {
		testAccounts = memAccounts{}
		for _, u := range []string{"alice", "bob"} {
			a, err := accounts.NewAccount(u, u+"-pw", accounts.Options{Iterations: 4096})
			if err != nil {
				panic(err)
			}
			testAccounts[u] = a
		}
	})
	return testAccounts
}

func tlsEvent(t *testing.T, spec string) TLSEvent {
	f := strings.Fields(spec)
	if len(f) == 0 || f[0] == "fail" {
		return TLSEvent{Err: errors.New("tls: first record does not look like a TLS handshake")}
	}
	if f[0] != "ok" {
		t.Fatalf("T: %q: want ok or fail", spec)
	}
	info := &TLSInfo{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256"}
	for _, w := range f[1:] {
		switch {
		case w == "verified":
			info.ClientCert, info.ClientVerified = "CN=alice@localhost", true
		case w == "unverified":
			info.ClientCert, info.ClientError = "CN=mallory", "x509: certificate signed by unknown authority"
		case strings.HasPrefix(w, "ids="):
			info.Accounts = splitList(strings.TrimPrefix(w, "ids="))
		default:
			t.Fatalf("T: unknown word %q", w)
		}
	}
	return TLSEvent{Info: info}
}

func connEvent(t *testing.T, spec string) Event {
	kind, reason, _ := strings.Cut(spec, " ")
	switch kind {
	case "ping":
		return PingEvent{}
	case "flood":
		return FloodEvent{}
	case "timeout":
		return TimeoutEvent{Reason: reason}
	case "stop":
		return StopEvent{Reason: reason}
	case "hangup":
		return HangupEvent{Reason: reason}
	}
	t.Fatalf("X: unknown event %q", spec)
	return nil
}

// show prints expectation lines one per line, raw ones quoted.
func show(lines []string) string {
	if len(lines) == 0 {
		return "(nothing)"
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("\n    ")
		if r, ok := raw(l); ok {
			b.WriteString(strconv.Quote(r))
		} else {
			b.WriteString(l)
		}
	}
	return b.String()
}
