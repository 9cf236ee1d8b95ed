package config

import (
	"strings"
	"testing"
	"time"
)

func TestUploadValues(t *testing.T) {
	c, err := Parse([]byte("domain = \"example.org\"\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	u := c.Upload
	if !u.Enabled || u.Address != "127.0.0.1:5281" || c.UploadDomain() != "upload.example.org" || u.MaxFileSize != 10<<20 || u.QuotaPerUser != 100<<20 || u.Expiry.Duration != 168*time.Hour {
		t.Errorf("default: %+v, domain %q", u, c.UploadDomain())
	}
	for _, tc := range []struct{ toml, key string }{
		{"[upload]\naddress = \"nope\"\n", "upload.address"},
		{"[upload]\ndomain = \"localhost\"\n", "upload.domain"},
		{"[upload]\nurl = \"http://x\"\n", "upload.url"},
		{"[upload]\nmax_file_size = 0\n", "upload.max_file_size"},
		{"[upload]\nquota_per_user = 5\n", "upload.quota_per_user"},
		{"[upload]\nexpiry = \"0s\"\n", "upload.expiry"},
	} {
		_, err := Parse([]byte(tc.toml), "test.toml")
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: %v, want an error naming %s", tc.toml, err, tc.key)
		}
	}
}
