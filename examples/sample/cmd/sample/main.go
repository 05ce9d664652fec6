// Command sample prints a greeting. It is the demo module that gox builds.
package main

import (
	"fmt"
	"os"

	"example.com/sample/internal/greet"
)

func main() {
	name := "gopher"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	fmt.Println(greet.Hello(name))
}
