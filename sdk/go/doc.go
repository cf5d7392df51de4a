// Package pontoon is the Pontoon SDK for Go: thin sugar over the function contract.
//
// The watcher API (GetInput, GetInputAsJSON, Done, Fail) suits a program that runs top to bottom.
// The handler form (a Handler run by Serve) suits one execution per process, and Invoke lets a
// warm replica call the same handler many times in one process. Everything here uses only the
// standard library.
package pontoon
