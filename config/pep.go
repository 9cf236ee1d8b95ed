package config

// PEP configures the Personal Eventing Protocol (XEP-0163) of the
// accounts.
type PEP struct {
	// MaxNodes bounds an account's nodes; a publish that would create one
	// more is refused with resource-constraint.
	MaxNodes int `toml:"max_nodes"`
	// MaxBytesPerAccount bounds an account's nodes in all, as stored
	// (configurations, items and their encoding); a change that would
	// grow them past it is refused with resource-constraint. This is the
	// bound of an account's PEP storage: the other bounds shape it.
	MaxBytesPerAccount int `toml:"max_bytes_per_account"`
	// MaxItems bounds a node's items (what "max" means); a configuration
	// past it is refused with policy-violation.
	MaxItems int `toml:"max_items"`
	// MaxItemBytes bounds an item's payload as stored; a larger one is
	// refused with policy-violation.
	MaxItemBytes int `toml:"max_item_bytes"`
	// CapsCache is how many entity capabilities (XEP-0115) hashes' features
	// are remembered, least recently used dropped first.
	CapsCache int `toml:"caps_cache"`
}

// validatePEP checks the [pep] table.
func (c *Config) validatePEP(bad badFunc) {
	for _, b := range []struct {
		key string
		v   int
	}{{"pep.max_nodes", c.PEP.MaxNodes}, {"pep.max_bytes_per_account", c.PEP.MaxBytesPerAccount}, {"pep.max_items", c.PEP.MaxItems}, {"pep.max_item_bytes", c.PEP.MaxItemBytes}, {"pep.caps_cache", c.PEP.CapsCache}} {
		if b.v < 1 {
			bad(b.key, "must be at least 1")
		}
	}
}
