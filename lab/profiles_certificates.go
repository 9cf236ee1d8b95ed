package lab

// The profiles whose server certificate is wrong in one way each.
var certificateProfiles = []*Profile{
	certProfile("expired", "expired yesterday (signed by the lab CA, right names)"),
	certProfile("wrong-name", "names only wrong.invalid (signed by the lab CA, valid dates)"),
	certProfile("self-signed", "is self-signed (right names, valid dates)"),
	certProfile("untrusted-ca", "is signed by a second CA that the client has no reason to trust (right names, valid dates)"),
	certProfile("weak-key", "has a 1024-bit RSA key (signed by the lab CA, right names)"),
}

// certProfile builds a certificate-fault profile.
func certProfile(fault, what string) *Profile {
	return &Profile{
		Name:     "cert-" + fault,
		Summary:  "the TLS handshake presents a server certificate that " + what,
		Correct:  "refuses the certificate: the handshake fails (alert bad_certificate or similar), or the client hangs up right after it, and no XML or IRC line follows",
		PassIf:   "the client refuses the handshake (an alert, a close), or completes it and closes without sending any data over TLS",
		FailIf:   "the client sends application data over the TLS connection (it accepted the certificate), or goes on in plaintext",
		Category: CategoryCertificates,
		Source:   "RFC 6125 and RFC 5280 (certificate validation); RFC 6120 §13.7.2",
		IRC:      true,
		Pass:     flags("rejected-bad-certificate"),
		Fail:     flags("accepted-bad-certificate"),
		Rules:    handshakeRules("rejected-bad-certificate", "accepted-bad-certificate", "a certificate that "+what),
		Effect:   Effect{CertFault: fault},
	}
}
