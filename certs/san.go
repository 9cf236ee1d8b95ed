package certs

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Object identifiers used in the subjectAltName of client certificates.
var (
	// OIDSubjectAltName is the subjectAltName extension (RFC 5280 §4.2.1.6).
	OIDSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	// OIDXMPPAddr is id-on-xmppAddr (RFC 6120 §13.7.1.4), the otherName
	// type that carries a JID in a certificate.
	OIDXMPPAddr = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 5}
)

// GeneralName CHOICE tags (RFC 5280 §4.2.1.6). All are context-specific;
// otherName is constructed (an IMPLICIT SEQUENCE), the string kinds are
// primitive.
const (
	tagOtherName  = 0
	tagRFC822Name = 1
	tagDNSName    = 2
	tagURI        = 6
	tagIPAddress  = 7
)

// otherNameUTF8 encodes
//
//	otherName [0] IMPLICIT SEQUENCE {
//	    type-id OBJECT IDENTIFIER,
//	    value   [0] EXPLICIT ANY DEFINED BY type-id }
//
// with a UTF8String as the ANY, which is the shape RFC 6120 prescribes for
// xmppAddr. It is written by hand because crypto/x509 has no otherName
// support at all.
func otherNameUTF8(oid asn1.ObjectIdentifier, value string) (asn1.RawValue, error) {
	if !utf8.ValidString(value) {
		return asn1.RawValue{}, fmt.Errorf("otherName value %q is not valid UTF-8", value)
	}
	str, err := asn1.MarshalWithParams(value, "utf8")
	if err != nil {
		return asn1.RawValue{}, err
	}
	return otherNameRaw(oid, str)
}

// otherNameRaw wraps an already encoded value (any ASN.1 type) as an
// otherName. Separate from otherNameUTF8 so tests can build otherNames of
// other OIDs and value types.
func otherNameRaw(oid asn1.ObjectIdentifier, value []byte) (asn1.RawValue, error) {
	oidDER, err := asn1.Marshal(oid)
	if err != nil {
		return asn1.RawValue{}, fmt.Errorf("encode OID %v: %w", oid, err)
	}
	explicit, err := asn1.Marshal(asn1.RawValue{
		Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: value,
	})
	if err != nil {
		return asn1.RawValue{}, err
	}
	return asn1.RawValue{
		Class:      asn1.ClassContextSpecific,
		Tag:        tagOtherName,
		IsCompound: true,
		Bytes:      append(oidDER, explicit...),
	}, nil
}

// rfc822Name encodes an email SAN. The type is IA5String (ASCII), and
// crypto/x509 refuses to parse a certificate whose rfc822Name is not, so
// non-ASCII input is an error here rather than a broken certificate.
func rfc822Name(email string) (asn1.RawValue, error) {
	if !isASCII(email) {
		return asn1.RawValue{}, fmt.Errorf("rfc822Name %q is not ASCII (IA5String)", email)
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagRFC822Name, Bytes: []byte(email)}, nil
}

// marshalGeneralNames encodes GeneralNames ::= SEQUENCE SIZE (1..MAX) OF
// GeneralName, the value of the subjectAltName extension.
func marshalGeneralNames(names []asn1.RawValue) ([]byte, error) {
	if len(names) == 0 {
		return nil, errors.New("subjectAltName needs at least one name")
	}
	return asn1.Marshal(names)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
