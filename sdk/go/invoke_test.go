package pontoon_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	pontoon "pontoon.dev/sdk/go"
)

func newContext(t *testing.T, errs *bytes.Buffer) *pontoon.Context {
	if errs == nil {
		errs = &bytes.Buffer{}
	}
	ctx, cancel := pontoon.NewContext(context.Background(),
		pontoon.Info{ExecutionID: "ex-1", Attempt: 1, Function: "primes"}, pontoon.NewLogger(&bytes.Buffer{}, errs))
	t.Cleanup(cancel)
	return ctx
}

type span struct {
	From int `json:"from"`
	To   int `json:"to"`
}

func assertOutcome(t *testing.T, got, want pontoon.Outcome) {
	t.Helper()
	if got.OK != want.OK || string(got.Output) != string(want.Output) || got.Error != want.Error {
		t.Fatalf("got {OK:%v Output:%s Error:%q}, want {OK:%v Output:%s Error:%q}",
			got.OK, got.Output, got.Error, want.OK, want.Output, want.Error)
	}
}

func TestInvoke_ReturnsTheHandlersResultAsJSONText(t *testing.T) {
	handler := func(ctx *pontoon.Context, bounds [2]int) ([]int, error) {
		return primesBetween(bounds[0], bounds[1]), nil
	}
	assertOutcome(t, pontoon.Invoke(newContext(t, nil), handler, []byte("[1, 20]")),
		pontoon.Succeeded([]byte("[2,3,5,7,11,13,17,19]")))
}

func TestInvoke_DecodesTheInputIntoAStructIgnoringUnknownFieldsAndPassesTheContext(t *testing.T) {
	handler := func(ctx *pontoon.Context, s span) (string, error) {
		return strings.Repeat(ctx.Function, s.To-s.From), nil
	}
	assertOutcome(t, pontoon.Invoke(newContext(t, nil), handler, []byte(`{"from": 3, "to": 5, "extra": true}`)),
		pontoon.Succeeded([]byte(`"primesprimes"`)))
}

func TestInvoke_TurnsAReturnedErrorIntoAFailureWithItsMessage(t *testing.T) {
	handler := func(ctx *pontoon.Context, input any) (any, error) { return nil, errors.New("range too large") }
	assertOutcome(t, pontoon.Invoke(newContext(t, nil), handler, []byte("null")), pontoon.Failed("range too large"))
}

func TestInvoke_TurnsAPanicIntoAFailureAndLogsItsStack(t *testing.T) {
	var errs bytes.Buffer
	handler := func(ctx *pontoon.Context, input any) (any, error) { panic("out of primes") }
	assertOutcome(t, pontoon.Invoke(newContext(t, &errs), handler, []byte("null")), pontoon.Failed("panic: out of primes"))
	if !strings.HasPrefix(errs.String(), "[ERROR] panic: out of primes\n[ERROR] goroutine ") {
		t.Fatalf("logged %q", errs.String())
	}
}

func TestInvoke_FailsOnInputThatDoesNotFitTheTypeWithoutCallingTheHandler(t *testing.T) {
	calls := 0
	handler := func(ctx *pontoon.Context, bounds [2]int) (int, error) { calls++; return 0, nil }
	for _, input := range []string{"[1,", `{"a": 1}`} {
		outcome := pontoon.Invoke(newContext(t, nil), handler, []byte(input))
		if outcome.OK || !strings.HasPrefix(outcome.Error, "input is not valid JSON for *[2]int") {
			t.Fatalf("input %s: got %+v", input, outcome)
		}
	}
	if calls != 0 {
		t.Fatalf("handler called %d times", calls)
	}
}

func TestInvoke_FailsOnAResultThatCannotBeWrittenAsJSON(t *testing.T) {
	handler := func(ctx *pontoon.Context, input any) (float64, error) { return math.NaN(), nil }
	outcome := pontoon.Invoke(newContext(t, nil), handler, []byte("null"))
	if outcome.OK || !strings.HasPrefix(outcome.Error, "result is not JSON-serializable") {
		t.Fatalf("got %+v", outcome)
	}
}

func TestInvoke_CanBeCalledManyTimesInOneProcessEachCallIndependent(t *testing.T) {
	handler := func(ctx *pontoon.Context, bounds [2]int) ([]int, error) {
		if bounds[0] < 0 {
			return nil, errors.New("negative")
		}
		return primesBetween(bounds[0], bounds[1]), nil
	}
	for i := 0; i < 50; i++ {
		if i%2 == 0 {
			assertOutcome(t, pontoon.Invoke(newContext(t, nil), handler, []byte("[1, 10]")), pontoon.Succeeded([]byte("[2,3,5,7]")))
		} else {
			assertOutcome(t, pontoon.Invoke(newContext(t, nil), handler, []byte("[-1, 10]")), pontoon.Failed("negative"))
		}
	}
}
