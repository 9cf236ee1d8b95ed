package lab

import (
	"net"
	"strings"

	"jabberd/certs"
)

// SNINames returns the names by which a client chooses a profile with the
// TLS SNI: <profile>.<name> for every profile and for domain and each of
// others that is a DNS name (cert-expired.localhost, …). The server
// certificate and the fault certificates carry them, so that a client
// choosing cert-expired by SNI meets an expired certificate and not also a
// name mismatch.
//
// IP addresses and wildcards are skipped, as is a name that would be too
// long for a certificate; each name comes once (ignoring case and a final
// dot), grouped by the name it extends, in the order of Names.
func SNINames(domain string, others []string) []string {
	profiles := Names()
	var out []string
	seen := map[string]bool{}
	for _, base := range append([]string{domain}, others...) {
		key := strings.ToLower(strings.TrimSuffix(base, "."))
		if base == "" || seen[key] || net.ParseIP(base) != nil || strings.HasPrefix(base, "*") {
			continue
		}
		seen[key] = true
		for _, p := range profiles {
			name := p + "." + base
			if certs.CheckServerName(name) == nil {
				out = append(out, name)
			}
		}
	}
	return out
}
