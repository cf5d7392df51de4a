// The prime finder: input [from, to], result the primes in that range.
package main

import (
	"encoding/json"

	pontoon "pontoon.dev/sdk/go"
)

func primes(ctx *pontoon.Context, input json.RawMessage) ([]int, error) {
	var bounds []int
	if err := json.Unmarshal(input, &bounds); err != nil || len(bounds) != 2 || bounds[0] > bounds[1] {
		pontoon.Fail("input must be [from, to] with integers from <= to")
	}
	ctx.Logger.Infof("looking for primes between %d and %d", bounds[0], bounds[1])
	found := []int{}
	for n := max(2, bounds[0]); n <= bounds[1]; n++ {
		prime := true
		for d := 2; d*d <= n && prime; d++ {
			prime = n%d != 0
		}
		if prime {
			found = append(found, n)
		}
	}
	return found, nil
}

func main() { pontoon.Serve(primes) }
