package lab

// The profiles that inject plaintext where only TLS may come (Poddebniak et
// al., "Why TLS is better without STARTTLS", USENIX Security 2021).
var injectionProfiles = []*Profile{
	{
		Name:     "inject-after-proceed",
		Summary:  "<proceed/> (legacy: </stream:stream>; IRC: 670) is followed in the same TCP segment by plaintext: stream features advertising the mechanism " + InjectedMechanism + " (IRC: PING :" + InjectedMechanism + ", whose PONG gives the client away)",
		Correct:  "discards everything received before the handshake: starts TLS, opens a fresh stream and never uses " + InjectedMechanism,
		Source:   "STARTTLS response injection: Poddebniak et al., USENIX Security 2021 (the mirror of CVE-2011-0411, Postfix command injection)",
		Category: CategoryInjection,
		IRC:      true,
		PassIf:   "the client starts TLS and never uses " + InjectedMechanism + ", or closes instead of starting TLS over the injected data",
		FailIf:   "the client uses " + InjectedMechanism + " (before or after TLS), or answers the injected plaintext where its ClientHello belongs",
		Pass:     flags("discarded-injected-data", "refused-injected-data"),
		Fail:     flags(FlagAcceptedInjectedData, "acted-on-injected-data"),
		Rules:    injectRules("discarded-injected-data", "acted-on-injected-data", "refused-injected-data"),
		Effect:   Effect{Inject: true},
	},
}
