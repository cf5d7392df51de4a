// No-op program that prints nothing: the whole attempt is timed against a bare Go binary.
package main

func main() {}
