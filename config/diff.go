package config

import (
	"reflect"
	"strings"
)

// Changed lists the keys whose values differ between a and b, in the
// order of Config's fields: "domain", "tls.cert", "lab.client_choice".
// A list of tables ([[listen]], [[user]]) is one key: "listen", "user".
func Changed(a, b *Config) []string {
	return changed(reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem(), "")
}

func changed(a, b reflect.Value, prefix string) []string {
	var keys []string
	t := a.Type()
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + tag
		fa, fb := a.Field(i), b.Field(i)
		if fa.Kind() == reflect.Struct && !isText(fa.Type()) {
			keys = append(keys, changed(fa, fb, key+".")...)
			continue
		}
		if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			keys = append(keys, key)
		}
	}
	return keys
}

// isText reports a struct written as one TOML value (Duration).
func isText(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[interface{ UnmarshalText([]byte) error }]())
}
