// Package words has small string helpers.
package words

import "unicode"

// Title upper-cases the first letter of s.
func Title(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}
