// Package greet builds greetings.
package greet

import (
	_ "embed"
	"strings"

	"example.com/sample/internal/words"
)

//go:embed greeting.txt
var greeting string

// Punct ends every greeting.
const Punct = "!"

// Style names the greeting style. Nothing reads it; capture.sh edits it.
const Style = "plain"

// Hello greets name.
func Hello(name string) string {
	return strings.TrimSpace(greeting) + ", " + words.Title(name) + Punct
}
