package greet_test

import (
	"fmt"

	"example.com/sample/internal/greet"
)

func ExampleHello() {
	fmt.Println(greet.Hello("world"))
	// Output: Hello, World!
}
