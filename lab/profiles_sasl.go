package lab

// The profiles that misbehave in authentication, after TLS.
var saslProfiles = []*Profile{
	{
		Name:     "external-then-fail",
		Summary:  "SASL EXTERNAL is offered after TLS (with or without a client certificate), then answered with not-authorized",
		Correct:  "treats the failure as a failure: tries another mechanism or closes, and never restarts the stream, binds or sends stanzas as if logged in",
		Category: CategorySASL,
		Source:   "RFC 6120 §6.4.5 (SASL failure); XEP-0178",
		PassIf:   "after the failure the client tries another mechanism, aborts, or closes",
		FailIf:   "after the failure the client restarts the stream, binds or sends a stanza as if logged in",
		Pass:     flags("stopped-after-auth-failure"),
		Fail:     flags("ignored-auth-failure"),
		Rules:    authFailureRules("stopped-after-auth-failure", "ignored-auth-failure"),
		Effect:   Effect{ExternalThenFail: true},
	},
}
