package config

import (
	"fmt"

	"github.com/BurntSushi/toml"
)

// listTables are the keys that are lists of tables: each entry is written
// [[key]], and [key] (one table) is a common slip the TOML decoder reports
// only as a type mismatch.
var listTables = map[string]string{
	"listen": "one [[listen]] table per listener",
	"user":   "one [[user]] table per account",
}

// checkShape reads data loosely and says in words what a list of tables
// written as a single table is, before the decoder reports it as
// "incompatible types". Syntax errors are left to the decoder, which
// names the line.
func checkShape(data []byte, name string) error {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil
	}
	for key, what := range listTables {
		if _, single := raw[key].(map[string]any); single {
			return fmt.Errorf("%s: [%s] is written with two brackets: [[%s]] (%s); a single [%s] is one table, and %s is a list of them", name, key, key, what, key, key)
		}
	}
	return nil
}
