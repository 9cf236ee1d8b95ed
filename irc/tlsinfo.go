package irc

import (
	"strings"

	"jabberd/tlsext"
)

// describeTLS turns the handshake's result into what the machine needs:
// the client certificate verified against the client CAs and mapped to
// accounts with the same verifier and mapper as XMPP. It logs the upgrade
// with the fields the XMPP side logs, so that one grep finds both.
func (c *conn) describeTLS(res *tlsext.Result, early int) *TLSInfo {
	info := &TLSInfo{Version: res.VersionName(), Cipher: res.CipherName()}
	ev := c.lg().Info().Str("version", info.Version).Str("cipher", info.Cipher).Int("early_bytes", early)
	if res.ServerName != "" {
		ev = ev.Str("sni", res.ServerName)
	}
	if len(res.PeerCertificates) > 0 {
		leaf := res.PeerCertificates[0]
		info.ClientCert = leaf.Subject.String()
		ev = ev.Str("client_cert", info.ClientCert)
		if verify := c.srv.opt.VerifyClient; verify != nil {
			if err := verify(res.PeerCertificates); err != nil {
				info.ClientError = err.Error()
				ev = ev.Str("client_cert_error", info.ClientError)
			} else {
				info.ClientVerified = true
			}
		} else {
			info.ClientError = "no client CA is configured"
		}
		ev = ev.Bool("client_cert_verified", info.ClientVerified)
		if mapper := c.srv.opt.Identities; info.ClientVerified && mapper != nil {
			ids, err := mapper.Identities(leaf)
			if err != nil {
				ev = ev.Str("client_cert_identity_error", err.Error())
				info.ClientError = err.Error()
			}
			info.Accounts = ids.Usernames
			ev = ev.Strs("client_cert_accounts", ids.Usernames)
			if len(ids.Dropped) > 0 {
				ev = ev.Strs("client_cert_identities_dropped", ids.Dropped)
				if info.ClientError == "" {
					info.ClientError = strings.Join(ids.Dropped, "; ")
				}
			}
		}
	}
	ev.Msg("TLS established")
	return info
}
