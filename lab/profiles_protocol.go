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
	weakProfile("tls11-only", "the TLS handshake offers TLS 1.1 and nothing else",
		"refuses the handshake (protocol_version alert): TLS 1.0 and 1.1 are deprecated",
		"RFC 8996 (deprecating TLS 1.0 and 1.1); RFC 9325 §3.1.1; RFC 7590 §3.3", "TLS 1.1"),
	weakProfile("tls12-cbc-only", "the TLS handshake offers TLS 1.2 with CBC-mode suites only (ECDHE, AES-CBC with HMAC, and 3DES): no AEAD suite, no TLS 1.3",
		"refuses the handshake (handshake_failure, insufficient_security): a client that offers only AEAD suites (AES-GCM, ChaCha20-Poly1305) shares no suite with it",
		"RFC 9325 §4.1 and §4.2 (the recommended suites are all AEAD; 3DES offers less than 128 bits); Lucky Thirteen (AlFardan and Paterson, 2013); Sweet32 (CVE-2016-2183); RFC 7590 §3.3",
		"TLS 1.2 with only CBC-mode suites"),
	weakProfile("tls12-rc4", "the TLS handshake offers TLS 1.2 with RC4 suites only (ECDHE and RSA key transport, RC4-128 with HMAC-SHA1)",
		"refuses the handshake (handshake_failure): a client that offers no RC4 suite, as RFC 7465 requires, shares no suite with it",
		"RFC 7465 (TLS clients MUST NOT include RC4 suites in the ClientHello); RFC 9325 §4.1; RC4 biases (AlFardan et al., USENIX Security 2013)",
		"TLS 1.2 with only RC4 suites"),
	weakProfile("tls12-static-rsa", "the TLS handshake offers TLS 1.2 with RSA key transport only (TLS_RSA_WITH_AES_*_GCM): no forward secrecy, presented with an RSA certificate for the server's names",
		"refuses the handshake (handshake_failure): a client that offers only ECDHE (or DHE) key exchange shares no suite with it",
		"RFC 9325 §4.1 (SHOULD NOT negotiate static RSA; MUST prefer forward secrecy); ROBOT (Böck, Somorovsky and Young, USENIX Security 2018); RFC 8446 removed RSA key transport",
		"TLS 1.2 with RSA key transport (no forward secrecy)"),
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

// weakProfile builds a profile that offers only weak TLS: an old version,
// or weak suites (the configurations are in tls_protocol.go).
func weakProfile(name, summary, correct, source, fault string) *Profile {
	return &Profile{
		Name:     name,
		Summary:  summary,
		Correct:  correct,
		Source:   source,
		Category: CategoryProtocol,
		IRC:      true,
		PassIf:   "the client refuses the handshake (protocol_version, no shared version or cipher, a close), or closes right after it without sending data",
		FailIf:   "the client sends application data over " + fault,
		Pass:     flags("rejected-weak-tls"),
		Fail:     flags("accepted-weak-tls"),
		Rules:    handshakeRules("rejected-weak-tls", "accepted-weak-tls", fault),
		Effect:   Effect{WeakTLS: true},
	}
}
