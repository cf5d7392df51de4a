// No-op program: its first statement is the line the benchmark times.
package main

import "fmt"

func main() { fmt.Println("first line") }
