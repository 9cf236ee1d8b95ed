package lab

// The profiles only the IRC listener plays (IRCOnly: the XMPP listeners
// refuse them): the IRCv3 sts policy stripped, or pointing at a port whose
// certificate is bad, and SASL PLAIN offered in plaintext as bait. The sts
// ones cite the IRCv3 Strict Transport Security specification
// (https://ircv3.net/specs/extensions/sts).
var ircProfiles = []*Profile{
	{
		Name:     "inject-numerics",
		Summary:  "670 is followed in the same TCP segment by forged numerics in plaintext: 903 (SASL authentication successful) and 001 (welcome), as if the login and registration were over",
		Correct:  "discards everything read before the handshake: over TLS it registers (CAP, NICK, USER, SASL) as usual and waits for the server's own 001 before joining or messaging",
		Source:   "STARTTLS response injection: Poddebniak et al., \"Why TLS is better without STARTTLS\", USENIX Security 2021; IRCv3 tls extension (the client must discard what it buffered)",
		Category: CategoryIRC,
		IRC:      true,
		IRCOnly:  true,
		PassIf:   "the client completes TLS and registers over it before any channel or message command, or closes instead of starting TLS over the injected data",
		FailIf:   "over TLS, before the server's 001, the client sends what only a registered client sends (JOIN, PRIVMSG, MODE, …), or it answers the forged numerics where its ClientHello belongs",
		Pass:     flags("discarded-injected-data", "refused-injected-data"),
		Fail:     flags("acted-on-injected-data", FlagAcceptedInjectedData),
		Rules:    forgedNumericsRules("discarded-injected-data", "acted-on-injected-data", "refused-injected-data"),
		Effect:   Effect{InjectNumerics: true},
	},
	{
		Name:     "sts-stripped",
		Summary:  "CAP LS lists neither the sts policy nor tls, as a man in the middle strips them from a host whose policy the client already holds; STARTTLS still works for a client that asks anyway",
		Correct:  "a client that holds an sts policy for the host (learnt from sts=duration= over TLS before) refuses plaintext: it connects with TLS (a ClientHello on the plaintext port is recognised), or upgrades anyway with STARTTLS, or closes; it never registers or logs in in plaintext",
		Source:   "IRCv3 Strict Transport Security (ircv3.net/specs/extensions/sts): once a persistence policy is verified the client \"MUST only use a secure transport to connect to the server at the requested hostname\" and \"MUST refuse to connect if a secure connection cannot be established\"; its \"STS policy stripping\" consideration",
		Category: CategoryIRC,
		IRC:      true,
		IRCOnly:  true,
		PassIf:   "the client sends a TLS ClientHello to the plaintext port, sends STARTTLS although tls was not offered, or closes without going on in plaintext (CAP, NICK and USER that leave registration pending, and a bare JOIN probe, are harmless)",
		FailIf:   "the client goes on in plaintext: it completes registration, logs in or sends any other command",
		Pass:     flags("refused-plaintext", "upgraded-anyway"),
		Fail:     flags("continued-without-tls"),
		Rules:    stsStrippedRules("refused-plaintext", "upgraded-anyway", "continued-without-tls"),
		Effect:   Effect{STSStripped: true},
	},
	{
		Name:     "sts-bad-port",
		Summary:  "plaintext connections are told sts=port=P, where P is a TLS port of the listener's own whose certificate comes from a CA nobody trusts (STARTTLS on the plaintext port presents the same certificate)",
		Correct:  "follows the upgrade policy: closes the plaintext connection, connects with TLS to P, refuses that certificate, and does not fall back to plaintext, neither on the plaintext connection nor on a new one",
		Source:   "IRCv3 Strict Transport Security (ircv3.net/specs/extensions/sts): on an upgrade policy the client \"MUST close the insecure connection and reconnect securely on the stated port\"; \"Clients MUST use sufficient certificate verification\"; a failed secure connection leaves \"no immediate user recourse\"",
		Category: CategoryIRC,
		IRC:      true,
		IRCOnly:  true,
		PassIf:   "the client closes the plaintext connection without going on in it; on port P (or after STARTTLS) it refuses the handshake, or completes it and closes without sending data",
		FailIf:   "the client goes on in plaintext after sts=port=P, sends data over TLS with the bad certificate, or comes back in plaintext to the same per-profile port after refusing it (correlated, within [lab] fallback_window)",
		Pass:     flags("followed-sts-upgrade", "rejected-bad-certificate"),
		Fail:     flags("continued-without-tls", "accepted-bad-certificate", FlagFallbackToPlaintext),
		Rules:    stsBadPortRules("followed-sts-upgrade", "rejected-bad-certificate", "continued-without-tls", "accepted-bad-certificate"),
		PortOnly: true,
		Effect:   Effect{STSBadPort: true, CertFault: "untrusted-ca"},
	},
	{
		Name:     "sasl-before-tls-irc",
		Summary:  "CAP LS lists sasl=EXTERNAL,PLAIN beside tls in plaintext, and AUTHENTICATE PLAIN before TLS is answered with AUTHENTICATE + as bait (the payload that follows gets 904, never checked, stored or logged)",
		Correct:  "sends STARTTLS before any credential: never an AUTHENTICATE PLAIN payload, PASS or NickServ IDENTIFY in plaintext",
		Source:   "IRCv3 SASL 3.1 and the tls extension; RFC 4616 §6 (PLAIN without a protected channel discloses the password)",
		Category: CategoryIRC,
		IRC:      true,
		IRCOnly:  true,
		PassIf:   "the client asks for STARTTLS without sending a credential first",
		FailIf:   "the client sends an AUTHENTICATE PLAIN payload (or PASS, or NickServ IDENTIFY) before TLS",
		Pass:     flags("ignored-plaintext-sasl"),
		Fail:     flags(FlagPlaintextCredentials),
		Rules:    baitRules("ignored-plaintext-sasl"),
		Effect:   Effect{PlaintextBait: true},
	},
}

// forgedNumericsRules judge inject-numerics: after TLS, a client that
// sends what only a registered client sends before the server welcomed it
// took the forged 001/903 for the server's; one that registers (and logs
// in) over TLS as usual discarded them; answering them where the
// ClientHello belongs, or using the mechanism injected elsewhere, fails
// as in inject-after-proceed.
func forgedNumericsRules(discarded, actedOn, refused string) Rules {
	r := injectRules(discarded, actedOn, refused)
	r.Input = func(t *Transcript, in Input) {
		if t.phase != PhasePlaintext && t.verdict.tlsDone && in.Kind == "line" && in.Unregistered && !registrationCommand(in.Name) {
			t.fail(actedOn, "over TLS, before the server welcomed it, the client sent "+describe(in)+": it took the forged 001 or 903 (sent in plaintext after 670) for the server's")
		}
	}
	end := r.End
	r.End = func(t *Transcript, byClient bool) {
		if !t.hasCheck(actedOn) {
			end(t, byClient)
		}
	}
	return r
}

// registrationCommand: what a client sends on its way to registration (or
// at any time), not as a registered client.
func registrationCommand(name string) bool {
	switch name {
	case "CAP", "NICK", "USER", "PASS", "AUTHENTICATE", "PING", "PONG", "QUIT", "STARTTLS":
		return true
	}
	return false
}

// stsStrippedRules judge a connection from which the sts policy and tls
// were stripped. Only what the client does on this one connection can be
// seen: a ClientHello to the plaintext port or STARTTLS asked for anyway
// passes, so does a close; anything but capability talk in plaintext goes
// on without TLS.
func stsStrippedRules(refused, upgraded, continued string) Rules {
	return Rules{
		Input: func(t *Transcript, in Input) {
			v := &t.verdict
			switch {
			case t.phase != PhasePlaintext || v.continued || v.late != "" || in.Kind == "close":
			case in.TLSHello:
				t.pass(refused, "the client sent a TLS ClientHello to the plaintext port: it insisted on TLS although neither sts nor tls was offered")
			case in.StartTLS:
				t.pass(upgraded, "neither sts nor tls was offered and the client asked for STARTTLS anyway")
			case !in.Capabilities:
				v.continued = true
				t.fail(continued, "neither sts nor tls was offered and the client went on in plaintext: "+describe(in))
			}
		},
		End: func(t *Transcript, byClient bool) {
			switch {
			case len(t.sum.Checks) > 0:
			case byClient:
				t.pass(refused, "neither sts nor tls was offered and the client closed without going on in plaintext")
			default:
				t.undecided("the server ended the connection (" + t.sum.CloseReason + ") before the client went on or closed")
			}
		},
	}
}

// stsBadPortRules judge a connection under sts-bad-port: on the plaintext
// port the client was told to reconnect with TLS elsewhere, so going on in
// plaintext fails and a close passes; a handshake (on the bad port, or
// STARTTLS here) is judged as a bad certificate's. A plaintext connection
// after a refused handshake on the bad port is the shared fallback (the bad
// port's connections are correlated with the plaintext port's).
func stsBadPortRules(followed, rejected, continued, accepted string) Rules {
	h := handshakeRules(rejected, accepted, "the certificate of the sts port (issued by a CA nobody trusts)")
	return Rules{
		TLS: h.TLS,
		Input: func(t *Transcript, in Input) {
			h.Input(t, in)
			v := &t.verdict
			if t.phase == PhasePlaintext && !v.continued && v.late == "" && in.Kind != "close" && !in.Capabilities && !in.StartTLS {
				v.continued = true
				t.fail(continued, "sts=port= told the client to reconnect with TLS and it went on in plaintext: "+describe(in))
			}
		},
		End: func(t *Transcript, byClient bool) {
			v := &t.verdict
			switch {
			case v.tlsRequested:
				h.End(t, byClient)
			case len(t.sum.Checks) > 0:
			case byClient:
				t.pass(followed, "the client closed the plaintext connection without going on in it, as sts=port= asks")
			default:
				t.undecided("the server ended the plaintext connection (" + t.sum.CloseReason + ") before the client went on or closed")
			}
		},
	}
}
