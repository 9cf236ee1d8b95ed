package accounts

import (
	"fmt"

	"golang.org/x/text/secure/precis"
)

// PrepareUsername applies the PRECIS UsernameCaseMapped profile (RFC 8265),
// which is what RFC 7622 prescribes for the localpart of a JID, and refuses
// what can never be a localpart.
func PrepareUsername(name string) (string, error) {
	if name == "" {
		// x/text's UsernameCaseMapped profile lets "" through; RFC 7622
		// §3.3 does not.
		return "", fmt.Errorf("%q is not a valid user name: it is empty", name)
	}
	p, err := precis.UsernameCaseMapped.String(name)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid user name: %w", name, err)
	}
	for _, r := range p {
		switch r {
		case '"', '&', '\'', '/', ':', '<', '>', '@':
			return "", fmt.Errorf("%q is not a valid user name: %q may not appear in a JID localpart", name, r)
		}
	}
	if len(p) > 1023 {
		return "", fmt.Errorf("user name is longer than 1023 bytes")
	}
	return p, nil
}

// PreparePassword applies the PRECIS OpaqueString profile (RFC 8265 §4.2).
func PreparePassword(pw string) (string, error) {
	p, err := precis.OpaqueString.String(pw)
	if err != nil {
		return "", fmt.Errorf("password is not valid: %w", err)
	}
	return p, nil
}

// PrepareResource applies the PRECIS OpaqueString profile to a JID
// resourcepart (RFC 7622 §3.4).
func PrepareResource(res string) (string, error) {
	p, err := precis.OpaqueString.String(res)
	if err != nil || p == "" {
		return "", fmt.Errorf("%q is not a valid resource", res)
	}
	if len(p) > 1023 {
		return "", fmt.Errorf("resource is longer than 1023 bytes")
	}
	return p, nil
}
