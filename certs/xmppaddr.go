package certs

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"unicode/utf8"
)

// XMPPAddrs returns the id-on-xmppAddr values in cert's subjectAltName, read from the raw extension.
//
// crypto/x509 drops otherName entries while parsing, so the extension
// bytes in cert.Extensions are decoded here. A certificate without a SAN,
// or with a SAN that holds no xmppAddr, yields (nil, nil). Any structural
// problem in the SAN — bad DER, an otherName that is not
// { OID, [0] value }, an xmppAddr that is not a valid UTF8String — is an
// error: an authenticator must not guess at an identity it cannot read.
// Values are returned as they appear, in order; deciding whether they are
// acceptable JIDs is the caller's business.
func XMPPAddrs(cert *x509.Certificate) ([]string, error) {
	if cert == nil {
		return nil, errors.New("xmppAddr: nil certificate")
	}
	var (
		value []byte
		found bool
	)
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(OIDSubjectAltName) {
			continue
		}
		// crypto/x509 already rejects duplicate extensions; this keeps
		// us safe if a certificate is assembled by hand.
		if found {
			return nil, errors.New("xmppAddr: certificate has more than one subjectAltName extension")
		}
		value, found = ext.Value, true
	}
	if !found {
		return nil, nil
	}
	return parseXMPPAddrs(value)
}

// parseXMPPAddrs decodes the value of a subjectAltName extension
// (GeneralNames) and collects the xmppAddr otherName values. It is a
// separate function taking raw bytes so that it can be fuzzed.
//
// GeneralName kinds other than otherName (rfc822Name, dNSName, URI, IP,
// directoryName, ...) and otherNames of other type-ids are skipped
// without looking inside, beyond the DER framing every element must have.
func parseXMPPAddrs(der []byte) ([]string, error) {
	var seq asn1.RawValue
	rest, err := asn1.Unmarshal(der, &seq)
	if err != nil {
		return nil, fmt.Errorf("xmppAddr: malformed subjectAltName: %w", err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("xmppAddr: malformed subjectAltName: %d trailing bytes", len(rest))
	}
	if seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence || !seq.IsCompound {
		return nil, fmt.Errorf("xmppAddr: malformed subjectAltName: want SEQUENCE, got class %d tag %d", seq.Class, seq.Tag)
	}
	if len(seq.Bytes) == 0 {
		// GeneralNames is SIZE (1..MAX).
		return nil, errors.New("xmppAddr: malformed subjectAltName: empty GeneralNames")
	}

	var addrs []string
	for b, i := seq.Bytes, 0; len(b) > 0; i++ {
		var gn asn1.RawValue
		b, err = asn1.Unmarshal(b, &gn)
		if err != nil {
			return nil, fmt.Errorf("xmppAddr: malformed GeneralName #%d: %w", i, err)
		}
		if gn.Class != asn1.ClassContextSpecific {
			// GeneralName is a CHOICE of context-specific tags only.
			return nil, fmt.Errorf("xmppAddr: malformed GeneralName #%d: class %d tag %d is not a GeneralName", i, gn.Class, gn.Tag)
		}
		if gn.Tag != tagOtherName {
			continue
		}
		oid, value, err := parseOtherName(gn)
		if err != nil {
			return nil, fmt.Errorf("xmppAddr: malformed otherName (GeneralName #%d): %w", i, err)
		}
		if !oid.Equal(OIDXMPPAddr) {
			continue
		}
		addr, err := parseUTF8String(value)
		if err != nil {
			return nil, fmt.Errorf("xmppAddr: malformed xmppAddr value (GeneralName #%d): %w", i, err)
		}
		addrs = append(addrs, addr)
	}
	return addrs, nil
}

// parseOtherName splits the body of
//
//	otherName [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
//
// into the type-id and the DER of the ANY.
func parseOtherName(gn asn1.RawValue) (asn1.ObjectIdentifier, []byte, error) {
	if !gn.IsCompound {
		return nil, nil, errors.New("primitive encoding, want constructed")
	}
	// Check the tag first: encoding/asn1's own mismatch error dumps its
	// internal field parameters, which is no help to whoever reads logs.
	var raw asn1.RawValue
	rest, err := asn1.Unmarshal(gn.Bytes, &raw)
	if err != nil {
		return nil, nil, fmt.Errorf("type-id: %w", err)
	}
	if raw.Class != asn1.ClassUniversal || raw.Tag != asn1.TagOID || raw.IsCompound {
		return nil, nil, fmt.Errorf("type-id is not an OBJECT IDENTIFIER (class %d tag %d)", raw.Class, raw.Tag)
	}
	var oid asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(raw.FullBytes, &oid); err != nil {
		return nil, nil, fmt.Errorf("type-id: %w", err)
	}
	if len(rest) == 0 {
		return nil, nil, fmt.Errorf("no value for %v", oid)
	}
	var explicit asn1.RawValue
	rest, err = asn1.Unmarshal(rest, &explicit)
	if err != nil {
		return nil, nil, fmt.Errorf("value of %v: %w", oid, err)
	}
	if len(rest) != 0 {
		return nil, nil, fmt.Errorf("%d trailing bytes after value of %v", len(rest), oid)
	}
	if explicit.Class != asn1.ClassContextSpecific || explicit.Tag != 0 || !explicit.IsCompound {
		return nil, nil, fmt.Errorf("value of %v is not [0] EXPLICIT", oid)
	}
	return oid, explicit.Bytes, nil
}

// parseUTF8String decodes exactly one DER UTF8String. RFC 6120 fixes the
// xmppAddr value type, so anything else (IA5String, OCTET STRING, ...) is
// rejected rather than reinterpreted.
func parseUTF8String(der []byte) (string, error) {
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil {
		return "", err
	}
	if len(rest) != 0 {
		return "", fmt.Errorf("%d trailing bytes after UTF8String", len(rest))
	}
	if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagUTF8String || v.IsCompound {
		return "", fmt.Errorf("want UTF8String, got class %d tag %d", v.Class, v.Tag)
	}
	if !utf8.Valid(v.Bytes) {
		return "", errors.New("UTF8String is not valid UTF-8")
	}
	return string(v.Bytes), nil
}
