package config

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"

	"jabberd/tlspolicy"
)

// DefaultTOML is the configuration used when no file is given. It is also the
// base every file is decoded onto, so a file only needs the keys it changes.
//
//go:embed default.toml
var DefaultTOML []byte

// Default returns the embedded default configuration.
func Default() *Config {
	c, err := Parse(nil, "default")
	if err != nil {
		panic("config: embedded default is invalid: " + err.Error()) // a build defect, not input
	}
	return c
}

// Load reads the file at path on top of the defaults.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes data (TOML) on top of the embedded default. name is used in
// error messages. Unknown keys and invalid values are errors naming the key.
func Parse(data []byte, name string) (*Config, error) {
	c := &Config{}
	if _, err := toml.NewDecoder(bytes.NewReader(DefaultTOML)).Decode(c); err != nil {
		return nil, fmt.Errorf("embedded default configuration: %w", err)
	}
	if data != nil { // a file, even an empty one, is not the default
		// The decoder replaces a list the file names rather than appending to
		// the default's. Listeners fall back to the default; the lab accounts
		// never do, so that a real deployment does not inherit them.
		c.Users = nil
		// The decoder fills a list's elements in place: a file's listeners
		// start empty, or they would inherit the default's keys (the second
		// one's if_available).
		defaults := c.Listen
		c.Listen = nil
		if err := checkShape(data, name); err != nil {
			return nil, err
		}
		md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if c.Listen == nil {
			c.Listen = defaults
		}
		for i := range c.Listen {
			if c.Listen[i].TLS == "" {
				// A [[listen]] table without tls gets the default policy,
				// whatever its position in the list.
				c.Listen[i].TLS = tlspolicy.Optional
			}
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return nil, fmt.Errorf("%s: unknown key %s", name, strings.Join(keys, ", "))
		}
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}
