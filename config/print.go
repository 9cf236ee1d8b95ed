package config

import (
	"bytes"
	"fmt"

	"github.com/BurntSushi/toml"
)

// HiddenSecret stands for a password in Print's output.
const HiddenSecret = "(hidden)"

// Print writes the configuration as TOML, every key with its effective
// value, the users' passwords replaced by HiddenSecret. It is what
// `jabberd check` shows: the file, the defaults and the flags together.
func (c *Config) Print() ([]byte, error) {
	cp := *c
	cp.Users = make([]User, len(c.Users))
	for i, u := range c.Users {
		cp.Users[i] = User{Name: u.Name, Password: HiddenSecret}
	}
	var b bytes.Buffer
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(&cp); err != nil {
		return nil, fmt.Errorf("print configuration: %w", err)
	}
	return b.Bytes(), nil
}
