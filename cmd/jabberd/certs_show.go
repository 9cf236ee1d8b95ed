package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"

	"jabberd/certs"
)

// certsShow implements `jabberd certs show FILE...`.
func certsShow(args []string, stdout, stderr io.Writer) int {
	c := newCertsCmd("show", "FILE...", stdout, stderr)
	if code := c.parse(args); code >= 0 {
		return code
	}
	if c.fs.NArg() == 0 {
		return c.usageErr("at least one FILE is required")
	}
	// Keep going after a bad file so one typo does not hide the
	// rest, but still exit 1.
	code := 0
	now := time.Now()
	for _, path := range c.fs.Args() {
		list, err := certs.ReadCertificates(path)
		if err != nil {
			code = c.fail(err)
			continue
		}
		for i, cert := range list {
			if len(list) > 1 {
				fmt.Fprintf(stdout, "%s [%d/%d]:\n", path, i+1, len(list))
			} else {
				fmt.Fprintf(stdout, "%s:\n", path)
			}
			if !certsShowCert(stdout, cert, now) {
				fmt.Fprintf(stderr, "jabberd certs %s: %s: malformed subjectAltName\n", c.name, path)
				code = 1
			}
		}
	}
	return code
}

// certsLine prints one labelled line of a certificate's description.
func certsLine(w io.Writer, label, value string) {
	fmt.Fprintf(w, "  %-11s %s\n", label+":", value)
}

// certsShowCert prints one certificate; it returns false if part of it
// could not be decoded (a malformed SAN), which makes show exit 1.
func certsShowCert(w io.Writer, c *x509.Certificate, now time.Time) bool {
	certsLine(w, "subject", c.Subject.String())
	certsLine(w, "issuer", c.Issuer.String())
	certsLine(w, "serial", c.SerialNumber.Text(16))
	certsLine(w, "not before", c.NotBefore.UTC().Format(time.RFC3339))
	certsLine(w, "not after", c.NotAfter.UTC().Format(time.RFC3339)+" "+certsValidity(c, now))
	certsLine(w, "key", certs.DescribePublicKey(c.PublicKey))
	if c.IsCA {
		ca := "yes"
		if c.MaxPathLen >= 0 && (c.MaxPathLen > 0 || c.MaxPathLenZero) {
			ca += fmt.Sprintf(" (max path length %d)", c.MaxPathLen)
		}
		certsLine(w, "CA", ca)
	}
	if ku := certsKeyUsages(c); len(ku) > 0 {
		certsLine(w, "key usage", strings.Join(ku, ", "))
	}
	if eku := certsExtKeyUsages(c); len(eku) > 0 {
		certsLine(w, "ext usage", strings.Join(eku, ", "))
	}
	return certsShowNames(w, c)
}

// certsValidity says how a certificate's validity stands at now.
func certsValidity(c *x509.Certificate, now time.Time) string {
	switch {
	case now.After(c.NotAfter):
		return "(EXPIRED)"
	case now.Before(c.NotBefore):
		return "(NOT YET VALID)"
	}
	return fmt.Sprintf("(%d days left)", int(c.NotAfter.Sub(now).Hours()/24))
}

// certsShowNames prints the subject alternative names, xmppAddr included;
// it returns false if the xmppAddr entries could not be decoded.
func certsShowNames(w io.Writer, c *x509.Certificate) bool {
	for _, d := range c.DNSNames {
		certsLine(w, "DNS", d)
	}
	for _, ip := range c.IPAddresses {
		certsLine(w, "IP", ip.String())
	}
	for _, e := range c.EmailAddresses {
		certsLine(w, "email", e)
	}
	for _, u := range c.URIs {
		certsLine(w, "URI", u.String())
	}
	ok := true
	addrs, err := certs.XMPPAddrs(c)
	if err != nil {
		certsLine(w, "xmppAddr", "error: "+err.Error())
		ok = false
	}
	for _, a := range addrs {
		certsLine(w, "xmppAddr", a)
	}
	for _, e := range c.Extensions {
		if e.Id.Equal(certs.OIDSubjectAltName) && e.Critical {
			certsLine(w, "SAN", "critical")
		}
	}
	return ok
}

// certsKeyUsageNames is a slice, not a map, so that the usages print in
// the order of their bits.
var certsKeyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"},
	{x509.KeyUsageContentCommitment, "contentCommitment"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
	{x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"},
	{x509.KeyUsageCertSign, "certSign"},
	{x509.KeyUsageCRLSign, "cRLSign"},
	{x509.KeyUsageEncipherOnly, "encipherOnly"},
	{x509.KeyUsageDecipherOnly, "decipherOnly"},
}

var certsExtKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:             "any",
	x509.ExtKeyUsageServerAuth:      "serverAuth",
	x509.ExtKeyUsageClientAuth:      "clientAuth",
	x509.ExtKeyUsageCodeSigning:     "codeSigning",
	x509.ExtKeyUsageEmailProtection: "emailProtection",
	x509.ExtKeyUsageTimeStamping:    "timeStamping",
	x509.ExtKeyUsageOCSPSigning:     "OCSPSigning",
}

func certsKeyUsages(c *x509.Certificate) []string {
	var ku []string
	for _, u := range certsKeyUsageNames {
		if c.KeyUsage&u.bit != 0 {
			ku = append(ku, u.name)
		}
	}
	return ku
}

// certsExtKeyUsages names the extended key usages; one this program does
// not know is shown by number, or by OID when x509 does not know it either.
func certsExtKeyUsages(c *x509.Certificate) []string {
	var eku []string
	for _, u := range c.ExtKeyUsage {
		if n, found := certsExtKeyUsageNames[u]; found {
			eku = append(eku, n)
		} else {
			eku = append(eku, fmt.Sprintf("#%d", u))
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		eku = append(eku, oid.String())
	}
	return eku
}
