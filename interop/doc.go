// Package interop holds jabberd's interoperability tests: jabberd runs
// in-process on loopback and real clients installed from Debian packages
// (openssl s_client, gnutls-cli, python3-slixmpp, go-sendxmpp) talk to it.
// Each test asserts what the client saw and what the server logged.
//
// A missing client skips its test with a message saying which package to
// install, unless JABBERD_REQUIRE_CLIENTS is set (CI sets it): then it fails.
package interop
