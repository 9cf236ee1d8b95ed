package certs

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// goldenSAN is GeneralNames { otherName { id-on-xmppAddr, [0] UTF8String "a@b" } },
// written out by hand from RFC 5280/6120 rather than by our encoder, so
// the encoder and the parser cannot agree on a shared mistake.
var goldenSAN = mustHex("3013" + // SEQUENCE, 19 bytes
	"a011" + // [0] IMPLICIT otherName, 17 bytes
	"06082b06010505070805" + // OID 1.3.6.1.5.5.7.8.5
	"a005" + // [0] EXPLICIT, 5 bytes
	"0c03614062") // UTF8String "a@b"

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestOtherNameEncodingGolden(t *testing.T) {
	gn, err := otherNameUTF8(OIDXMPPAddr, "a@b")
	if err != nil {
		t.Fatal(err)
	}
	got := mustSAN(t, gn)
	if !bytes.Equal(got, goldenSAN) {
		t.Errorf("encoded SAN\n got %x\nwant %x", got, goldenSAN)
	}
	addrs, err := parseXMPPAddrs(goldenSAN)
	if err != nil || !slices.Equal(addrs, []string{"a@b"}) {
		t.Errorf("parse golden = %q, %v", addrs, err)
	}
	// The email GeneralName is [1] primitive: 81 len bytes.
	em, err := rfc822Name("a@b")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustSAN(t, em), mustHex("3005"+"8103614062"); !bytes.Equal(got, want) {
		t.Errorf("rfc822Name SAN %x, want %x", got, want)
	}
	if _, err := rfc822Name("jürgen@example.org"); err == nil {
		t.Error("non-ASCII rfc822Name accepted")
	}
}

func TestXMPPAddrsMixed(t *testing.T) {
	ca := newTestCA(t)
	xmpp := func(s string) asn1.RawValue { return mustGN(otherNameUTF8(OIDXMPPAddr, s)) }
	email := func(s string) asn1.RawValue { return mustGN(rfc822Name(s)) }
	// Other otherName type-ids: Microsoft UPN (UTF8String) and SRVName
	// (RFC 4985, IA5String). Their values must be skipped, not returned.
	upn := mustGN(otherNameUTF8(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}, "alice@corp.example"))
	ia5, _ := asn1.MarshalWithParams("_xmpp-client.example.org", "ia5")
	srv := mustGN(otherNameRaw(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 7}, ia5))
	// An otherName with an arbitrary structured value.
	seqVal, _ := asn1.Marshal(struct{ A, B int }{1, 2})
	odd := mustGN(otherNameRaw(asn1.ObjectIdentifier{1, 2, 3, 4}, seqVal))
	// directoryName [4] (constructed, holds a Name) — a kind we never look into.
	dirName := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: mustHex("3000")}
	// registeredID [8].
	regID := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 8, Bytes: mustHex("2a03")}

	tests := []struct {
		name     string
		names    []asn1.RawValue
		critical bool
		cn       string
		want     []string
	}{
		{"single", []asn1.RawValue{xmpp("alice@example.org")}, false, "x", []string{"alice@example.org"}},
		{"several", []asn1.RawValue{xmpp("a@x"), xmpp("b@x"), xmpp("c@x/r")}, false, "x", []string{"a@x", "b@x", "c@x/r"}},
		{"only otherName critical", []asn1.RawValue{xmpp("alice@example.org")}, true, "", []string{"alice@example.org"}},
		{"none (email only)", []asn1.RawValue{email("alice@example.org")}, false, "x", nil},
		{"none (DNS, IP, URI)", []asn1.RawValue{dnsGN("example.org"), ipGN("192.0.2.1"), uriGN("xmpp:alice@example.org")}, false, "x", nil},
		{"mixed", []asn1.RawValue{
			dnsGN("example.org"), upn, ipGN("2001:db8::1"), xmpp("alice@example.org"), uriGN("https://example.org/"),
			srv, email("alice@example.org"), odd, xmpp("jürgen@example.org"), dirName, regID,
		}, false, "x", []string{"alice@example.org", "jürgen@example.org"}},
		{"other otherNames only", []asn1.RawValue{upn, srv, odd}, true, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			san := mustSAN(t, tt.names...)
			got, err := parseXMPPAddrs(san)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("parseXMPPAddrs = %q, %v; want %q", got, err, tt.want)
			}
			// The same SAN inside a real certificate: crypto/x509 must
			// accept it, and XMPPAddrs must find the same values.
			cert := certWithSAN(t, ca, san, tt.critical, tt.cn)
			got, err = XMPPAddrs(cert)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("XMPPAddrs = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestXMPPAddrsNoSAN(t *testing.T) {
	ca := newTestCA(t)
	got, err := XMPPAddrs(ca.Cert)
	if err != nil || got != nil {
		t.Errorf("XMPPAddrs(CA without SAN) = %q, %v", got, err)
	}
	if _, err := XMPPAddrs(nil); err == nil {
		t.Error("XMPPAddrs(nil) succeeded")
	}
}

// malformedSANs are SAN values our parser must reject with an error.
var malformedSANs = map[string]string{
	"empty input":              "",
	"truncated":                "3013a011",
	"not a SEQUENCE":           "3113a01106082b06010505070805a0050c03614062",
	"OCTET STRING outer":       "0405" + "8103614062",
	"trailing bytes":           "3013a01106082b06010505070805a0050c0361406200",
	"empty GeneralNames":       "3000",
	"universal element":        "30050c03614062",
	"length overflow":          "3084ffffffff",
	"indefinite length":        "3080a01106082b06010505070805a0050c036140620000",
	"non-minimal length":       "308113a01106082b06010505070805a0050c03614062",
	"primitive otherName":      "3005" + "8003010203",
	"otherName without value":  "300c" + "a00a06082b06010505070805",
	"otherName bad OID":        "3009" + "a0070400a0030c0161",
	"value not [0]":            "3013a01106082b06010505070805a1050c03614062",
	"value [0] primitive":      "3013a01106082b0601050507080580050c03614062",
	"xmppAddr as IA5String":    "3013a01106082b06010505070805a005" + "1603614062",
	"xmppAddr as OCTET STRING": "3013a01106082b06010505070805a005" + "0403614062",
	"xmppAddr bad UTF-8":       "3013a01106082b06010505070805a005" + "0c03ff4062",
	"two values in [0]":        "3015a01306082b06010505070805a007" + "0c03614062" + "0500",
	"junk after [0] value":     "3015a01306082b06010505070805a0050c03614062" + "0500",
	"inner length too long":    "3013a01106082b06010505070805a0050c04614062",
	"GeneralName truncated":    "3003a00506",
}

func TestXMPPAddrsMalformed(t *testing.T) {
	for name, h := range malformedSANs {
		t.Run(name, func(t *testing.T) {
			got, err := parseXMPPAddrs(mustHex(h))
			if err == nil {
				t.Fatalf("parseXMPPAddrs(%s) = %q, want error", h, got)
			}
			t.Logf("%s: %v", h, err)
			if !strings.HasPrefix(err.Error(), "xmppAddr: malformed") {
				t.Errorf("error %q does not say what is malformed", err)
			}
		})
	}
}

// A SAN that crypto/x509 accepts (it never looks inside otherName) but
// whose xmppAddr is broken must surface as an error from XMPPAddrs.
func TestXMPPAddrsMalformedInCert(t *testing.T) {
	ca := newTestCA(t)
	san := mustHex(malformedSANs["xmppAddr as IA5String"])
	cert := certWithSAN(t, ca, san, false, "x")
	if got, err := XMPPAddrs(cert); err == nil {
		t.Errorf("XMPPAddrs = %q, want error", got)
	}
}

func FuzzXMPPAddrs(f *testing.F) {
	f.Add(goldenSAN)
	for _, h := range malformedSANs {
		f.Add(mustHex(h))
	}
	mixed, _ := marshalGeneralNames([]asn1.RawValue{
		dnsGN("example.org"), ipGN("::1"), uriGN("xmpp:a@b"),
		mustGN(otherNameUTF8(OIDXMPPAddr, "alice@example.org")),
		mustGN(otherNameUTF8(asn1.ObjectIdentifier{1, 2, 3}, "x")),
		mustGN(rfc822Name("alice@example.org")),
	})
	f.Add(mixed)
	f.Fuzz(func(t *testing.T, der []byte) {
		addrs, err := parseXMPPAddrs(der)
		if err != nil {
			if addrs != nil {
				t.Fatalf("error %v with non-nil result %q", err, addrs)
			}
			return
		}
		// Whatever was accepted must be valid UTF-8 and must survive a
		// re-encode/parse round trip unchanged.
		var names []asn1.RawValue
		for _, a := range addrs {
			if !utf8.ValidString(a) {
				t.Fatalf("invalid UTF-8 %q accepted", a)
			}
			gn, err := otherNameUTF8(OIDXMPPAddr, a)
			if err != nil {
				t.Fatalf("re-encode %q: %v", a, err)
			}
			names = append(names, gn)
		}
		if len(names) == 0 {
			return
		}
		again, err := parseXMPPAddrs(mustSAN(t, names...))
		if err != nil || !slices.Equal(again, addrs) {
			t.Fatalf("round trip: %q, %v; want %q", again, err, addrs)
		}
	})
}

// crypto/x509 must drop otherNames it does not understand, which is the
// whole reason XMPPAddrs exists; if this ever changes, revisit it.
func TestX509IgnoresOtherName(t *testing.T) {
	ca := newTestCA(t)
	cert := certWithSAN(t, ca, goldenSAN, false, "x")
	if len(cert.DNSNames)+len(cert.EmailAddresses)+len(cert.IPAddresses)+len(cert.URIs) != 0 {
		t.Errorf("x509 parsed something out of an otherName-only SAN: %+v", cert)
	}
}
