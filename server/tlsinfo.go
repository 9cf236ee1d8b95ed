package server

import (
	"jabberd/negotiation"
	"jabberd/tlsext"
)

// describeTLS turns the handshake's result into what the machine needs,
// verifying the client certificate and mapping it to accounts, and logs it.
func (c *conn) describeTLS(res *tlsext.Result, early int) *negotiation.TLSInfo {
	info := &negotiation.TLSInfo{
		Version: res.Version, CipherSuite: res.CipherSuite, ServerName: res.ServerName,
		PeerCertificates: res.PeerCertificates,
		Exporter:         res.Exporter, ServerEndPoint: res.ServerEndPoint,
	}
	ev := c.log.Info().Str("version", res.VersionName()).Str("cipher", res.CipherName()).Int("early_bytes", early)
	if res.Skipped > 0 {
		ev = ev.Int("whitespace_skipped", res.Skipped)
	}
	if res.ServerName != "" {
		ev = ev.Str("sni", res.ServerName)
	}
	if len(res.PeerCertificates) > 0 {
		leaf := res.PeerCertificates[0]
		ev = ev.Str("client_cert", leaf.Subject.String())
		if v := c.srv.opt.VerifyClient; v != nil {
			if verr := v(res.PeerCertificates); verr != nil {
				ev = ev.Str("client_cert_error", verr.Error())
			} else {
				info.ClientVerified = true
			}
		}
		ev = ev.Bool("client_cert_verified", info.ClientVerified)
		if mapper := c.srv.opt.Identities; info.ClientVerified && mapper != nil {
			ids, err := mapper.Identities(leaf)
			if err != nil {
				ev = ev.Str("client_cert_identity_error", err.Error())
			}
			info.ExternalIdentities = ids.Usernames
			ev = ev.Strs("client_cert_accounts", ids.Usernames)
			if len(ids.Dropped) > 0 {
				ev = ev.Strs("client_cert_identities_dropped", ids.Dropped)
			}
		}
	}
	ev.Msg("TLS established")
	return info
}
