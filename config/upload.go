package config

import (
	"net"
	"strings"
)

// Upload configures XEP-0363 HTTP file upload.
type Upload struct {
	// Enabled runs the service and its HTTPS listener. On in the embedded
	// default, on loopback.
	Enabled bool `toml:"enabled"`
	// Address is the HTTPS listener (the server certificate). When it
	// cannot be bound the server runs without uploads (a warning says
	// so).
	Address string `toml:"address"`
	// Domain is the service's JID; "" is upload.<domain>.
	Domain string `toml:"domain"`
	// URL is the listener's address as clients reach it, the start of
	// every slot's URL; "" is https://<domain>:<port of address>.
	URL string `toml:"url"`
	// MaxFileSize bounds one file, in bytes.
	MaxFileSize int64 `toml:"max_file_size"`
	// QuotaPerUser bounds the bytes of one account's files that have not
	// expired.
	QuotaPerUser int64 `toml:"quota_per_user"`
	// Expiry is how long a file is kept.
	Expiry Duration `toml:"expiry"`
}

// UploadDomain is the service's JID: upload.domain, or upload.<domain>.
func (c *Config) UploadDomain() string {
	if c.Upload.Domain != "" {
		return strings.ToLower(c.Upload.Domain)
	}
	return "upload." + strings.ToLower(c.Domain)
}

// validateUpload checks the [upload] table.
func (c *Config) validateUpload(bad badFunc) {
	u := c.Upload
	if _, _, err := net.SplitHostPort(u.Address); err != nil {
		bad("upload.address", "%q is not host:port", u.Address)
	}
	if u.Domain != "" && (strings.ContainsAny(u.Domain, "@/ ") || strings.EqualFold(u.Domain, c.Domain)) {
		bad("upload.domain", "%q is not a domain name of its own (it must differ from domain)", u.Domain)
	}
	if u.URL != "" && !strings.HasPrefix(u.URL, "https://") {
		bad("upload.url", "%q is not an https:// URL", u.URL)
	}
	if u.MaxFileSize < 1 {
		bad("upload.max_file_size", "must be at least 1")
	}
	if u.QuotaPerUser < u.MaxFileSize {
		bad("upload.quota_per_user", "must be at least upload.max_file_size")
	}
	if u.Expiry.Duration <= 0 {
		bad("upload.expiry", "must be positive")
	}
}
