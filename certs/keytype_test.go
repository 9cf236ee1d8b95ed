package certs

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"strings"
	"testing"
)

func TestParseKeyType(t *testing.T) {
	good := map[string]KeyType{
		"":           ECDSAP256,
		"ecdsa":      ECDSAP256,
		"ecdsa-p256": ECDSAP256,
		"ECDSA":      ECDSAP256,
		"rsa":        RSA2048,
		"rsa-2048":   RSA2048,
		" rsa-4096 ": RSA4096,
	}
	for in, want := range good {
		got, err := ParseKeyType(in)
		if err != nil || got != want {
			t.Errorf("ParseKeyType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"dsa", "rsa-1024", "ed25519", "p256"} {
		_, err := ParseKeyType(in)
		if err == nil {
			t.Errorf("ParseKeyType(%q) succeeded", in)
			continue
		}
		if !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseKeyType(%q) error %q does not name the value", in, err)
		}
	}
}

func TestGenerateKey(t *testing.T) {
	k, err := generateKey("")
	if err != nil {
		t.Fatal(err)
	}
	if ec, ok := k.(*ecdsa.PrivateKey); !ok || ec.Curve.Params().Name != "P-256" {
		t.Errorf("default key is %T, want ECDSA P-256", k)
	}
	k, err = generateKey(RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := k.(*rsa.PrivateKey); !ok || r.N.BitLen() != 2048 {
		t.Errorf("rsa-2048 key is %s", DescribePublicKey(k.Public()))
	}
	if _, err := generateKey("bogus"); err == nil {
		t.Error("generateKey accepted an unknown key type")
	}
}
