package greet

import "testing"

func TestHello(t *testing.T) {
	if got, want := Hello("gopher"), "Hello, Gopher"+Punct; got != want {
		t.Fatalf("Hello() = %q, want %q", got, want)
	}
}
