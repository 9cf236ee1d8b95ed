package lab

// The profiles that bend the TLS handshake itself.
var protocolProfiles = []*Profile{
	{
		Name:     "tls10-only",
		Summary:  "the TLS handshake offers nothing newer than TLS 1.0",
		Correct:  "refuses the handshake (protocol_version alert): TLS 1.0 and 1.1 are deprecated",
		Source:   "RFC 8996 (deprecating TLS 1.0 and 1.1); RFC 7590 §3.3",
		Category: CategoryProtocol,
		IRC:      true,
		PassIf:   "the client refuses the handshake (protocol_version, no shared version or cipher, a close), or closes right after it without sending data",
		FailIf:   "the client sends application data over TLS 1.0",
		Pass:     flags("rejected-weak-tls"),
		Fail:     flags("accepted-weak-tls"),
		Rules:    handshakeRules("rejected-weak-tls", "accepted-weak-tls", "TLS 1.0"),
		Effect:   Effect{WeakTLS: true},
	},
	{
		Name:     "slow-handshake",
		Summary:  "the ServerHello is sent only after [lab] slow_handshake_delay (default 5s), to test the client's handshake timeout",
		Correct:  "gives up after its own handshake timeout (gave-up-on-slow-handshake) or, if its timeout is longer than the delay, completes (waited-for-slow-handshake): both are correct; the flag tells the tester which timeout the client has",
		PassIf:   "the client gives up on the handshake, or waits and completes it",
		FailIf:   "nothing of its own: only the shared failures (credentials in plaintext, a fallback to plaintext)",
		Source:   "timeout testing; RFC 6120 §13.7 leaves the timeout to the client",
		Category: CategoryProtocol,
		IRC:      true,
		Pass:     flags("gave-up-on-slow-handshake", "waited-for-slow-handshake"),
		Rules:    slowRules("gave-up-on-slow-handshake", "waited-for-slow-handshake"),
		Effect:   Effect{SlowHandshake: true},
	},
}
