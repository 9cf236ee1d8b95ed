package lab

import (
	"crypto/tls"
	"fmt"
)

// weakConfigs make the configurations of the weak-TLS profiles
// (Effect.WeakTLS), by profile name, from a clone of the server's own.
var weakConfigs = map[string]func(c *tls.Config){
	"tls10-only": func(c *tls.Config) {
		c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
	},
}

// weakConfig is the configuration of the weak-TLS profile name.
func weakConfig(name string, base *tls.Config) (*tls.Config, error) {
	bend, ok := weakConfigs[name]
	if !ok {
		return nil, fmt.Errorf("lab profile %s: no weak-TLS configuration", name)
	}
	c := base.Clone()
	c.GetConfigForClient = nil
	bend(c)
	return c, nil
}
