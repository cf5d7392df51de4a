package pontoon_test

import (
	"encoding/json"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	pontoon "pontoon.dev/sdk/go"
)

// fixtureEnv names the scenario when the test binary is re-run as a function program.
const fixtureEnv = "PONTOON_SDK_FIXTURE"

// TestMain lets the exit tests run this same binary as a tiny function program.
func TestMain(m *testing.M) {
	if mode := os.Getenv(fixtureEnv); mode != "" {
		runFixture(mode)
		os.Exit(3) // Done, Fail and Serve exit on their own; reaching here is a bug.
	}
	os.Exit(m.Run())
}

func runFixture(mode string) {
	switch mode {
	case "watcher-done":
		bounds, err := pontoon.GetInputAsJSON[[2]int]()
		if err != nil {
			pontoon.Fail(err.Error())
		}
		ctx, err := pontoon.GetContext()
		if err != nil {
			pontoon.Fail(err.Error())
		}
		ctx.Logger.Infof("attempt %d of %s", ctx.Attempt, ctx.Function)
		pontoon.Done(primesBetween(bounds[0], bounds[1]))
	case "watcher-fail":
		pontoon.Fail("no primes today")
	case "serve":
		pontoon.Serve(func(ctx *pontoon.Context, bounds [2]int) ([]int, error) {
			if bounds[0] > bounds[1] {
				return nil, errors.New("from > to")
			}
			return primesBetween(bounds[0], bounds[1]), nil
		})
	case "trace":
		// What the context says of the trace: once per process (cold) or per invocation (warm).
		pontoon.Serve(func(ctx *pontoon.Context, _ json.RawMessage) (map[string]string, error) {
			return map[string]string{"traceparent": ctx.Traceparent, "tracestate": ctx.Tracestate, "traceId": ctx.TraceID}, nil
		})
	case "serve-busy":
		// Logs through its context, takes a while and reports how many ran at once.
		var mu sync.Mutex
		running := 0
		pontoon.Serve(func(ctx *pontoon.Context, input json.RawMessage) (any, error) {
			var bounds [2]int
			if err := json.Unmarshal(input, &bounds); err != nil {
				return make(chan int), nil // not JSON-serializable
			}
			if bounds[0] > bounds[1] {
				return nil, errors.New("from > to")
			}
			ctx.Logger.Infof("primes between %d and %d, attempt %d of %s", bounds[0], bounds[1], ctx.Attempt, ctx.ExecutionID)
			mu.Lock()
			running++
			peak := running
			mu.Unlock()
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
			return map[string]any{"primes": primesBetween(bounds[0], bounds[1]), "peak": peak}, nil
		})
	case "serve-quick":
		// Returns at once: each results post's answer refills the slots it frees. Whatever goroutine
		// starts invocations yields first, as it may be preempted there on a busy machine.
		pontoon.PreemptStartFor(time.Millisecond)
		pontoon.Serve(func(ctx *pontoon.Context, _ json.RawMessage) (any, error) { return nil, nil })
	case "missing-handler":
		pontoon.Fail("handler primes: the package has no handler")
	case "serve-panic":
		pontoon.Serve(func(ctx *pontoon.Context, input any) (any, error) {
			panic("out of primes")
		})
	}
}

// primesBetween is the prime finder the tests run, as in the README: the primes in [from, to].
func primesBetween(from, to int) []int {
	primes := []int{}
	for n := max(2, from); n <= to; n++ {
		prime := true
		for d := 2; d*d <= n && prime; d++ {
			prime = n%d != 0
		}
		if prime {
			primes = append(primes, n)
		}
	}
	return primes
}
