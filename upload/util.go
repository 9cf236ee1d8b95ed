package upload

import (
	"net/url"
	"unicode/utf8"
)

func urlEscape(name string) string { return url.PathEscape(name) }

func utf8Valid(s string) bool { return utf8.ValidString(s) }
