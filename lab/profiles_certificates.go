package lab

// The profiles whose server certificate is wrong in one way each (the
// certificates are issued in tls_faults.go).
var certificateProfiles = []*Profile{
	certProfile("expired", "expired yesterday (signed by the lab CA, right names)"),
	certProfile("wrong-name", "names only wrong.invalid (signed by the lab CA, valid dates)"),
	certProfile("self-signed", "is self-signed (right names, valid dates)"),
	certProfile("untrusted-ca", "is signed by a second CA that the client has no reason to trust (right names, valid dates)"),
	certProfile("weak-key", "has a 1024-bit RSA key (signed by the lab CA, right names)"),
	certProfile("not-yet-valid", "becomes valid only tomorrow (signed by the lab CA, right names)").
		cite("RFC 5280 §6.1.3 (the current time must lie inside the validity period, at both ends)"),
	certProfile("cn-only", "names the server only in its subject CN, with no subjectAltName (signed by the lab CA, valid dates; the CN is the name the client asked for by SNI)").
		cite("RFC 9525 §2.3 and §6 (only subjectAltName entries identify a service; RFC 6125 §6.4.4 had let a client fall back to the CN as a last resort, and this profile holds clients to the newer rule); RFC 9110 §4.3.4 (a CN-ID MUST NOT be used)"),
	certProfile("client-auth-eku", "is for client authentication only: its extended key usage is clientAuth, without serverAuth (signed by the lab CA, right names)").
		cite("RFC 5280 §4.2.1.12 (with the extension present, the certificate is used only for the purposes it lists)"),
	certProfile("leaf-is-ca", "is itself a CA certificate, basicConstraints CA:TRUE with keyCertSign (signed by the lab CA, right names)").
		cite("RFC 5280 §4.2.1.9; CA/Browser Forum Baseline Requirements (a subscriber certificate is not a CA); NSS refuses a CA certificate as the server's (MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY); crypto/x509 does not check it"),
	certProfile("sha1", "is signed with SHA-1 by the lab CA (right names, valid dates)").
		cite("CA/Browser Forum Baseline Requirements (no SHA-1 signatures since 2016); SHA-1 chosen-prefix collisions (Leurent and Peyrin, \"SHA-1 is a Shambles\", USENIX Security 2020)"),
	certProfile("revoked-ocsp", "comes with a stapled OCSP response, signed by the lab CA, saying it is revoked (the certificate itself is sound)").
		cite("RFC 6066 §8 (a client that asked for the status and gets an unsatisfactory response MUST abort the handshake, alert bad_certificate_status_response); RFC 6960; RFC 8446 §4.4.2.1"),
	certProfile("wildcard-apex", "names the server only by a wildcard one label below it (*.localhost for localhost; signed by the lab CA, valid dates)").
		cite("RFC 9525 §6.3 and RFC 6125 §6.4.3 (a wildcard matches exactly one left-most label, never the name it is written under)").
		portOnly(),
}

// portOnly makes p choosable only by its own port or a listener: chosen by
// SNI (cert-wildcard-apex.localhost) the fault would not be one, the
// wildcard covering the name the client asked for.
func (p *Profile) portOnly() *Profile {
	p.PortOnly = true
	return p
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

// cite puts the fault's own source before the general one.
func (p *Profile) cite(source string) *Profile {
	p.Source = source + "; " + p.Source
	return p
}
