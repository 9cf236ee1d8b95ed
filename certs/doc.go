// Package certs is the lab PKI of jabberd: it creates a private CA, issues
// server certificates and XMPP client certificates (with the
// id-on-xmppAddr otherName of RFC 6120 §13.7.1.4), reads the xmppAddr
// values back out of a certificate, and keeps a state directory of all of
// them so that a server can be started with TLS and SASL EXTERNAL without
// any manual openssl steps.
//
// Only the standard library is used. crypto/x509 can neither emit nor
// parse otherName entries, so the subjectAltName extension of client
// certificates is encoded and decoded by hand with encoding/asn1.
//
// This is a lab PKI: no revocation, no intermediate CAs, keys on disk
// unencrypted (mode 0600). It is meant for test rigs and private
// deployments, not for a public service.
package certs
