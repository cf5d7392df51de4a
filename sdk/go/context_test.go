package pontoon_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	pontoon "pontoon.dev/sdk/go"
)

func envOf(values map[string]string) func(string) string {
	return func(name string) string { return values[name] }
}

func TestContext_ReadsIdsAttemptFunctionNamespaceVersionAndDeadlineFromTheEnvironment(t *testing.T) {
	info, err := pontoon.InfoFromEnv(envOf(map[string]string{
		pontoon.EnvExecutionID: "ex-1",
		pontoon.EnvAttempt:     "3",
		pontoon.EnvFunction:    "primes",
		pontoon.EnvNamespace:   "team-a",
		pontoon.EnvVersion:     "7",
		pontoon.EnvDeadline:    "2030-01-01T13:00:30.5+01:00",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := pontoon.Info{ExecutionID: "ex-1", Attempt: 3, Function: "primes", Namespace: "team-a", Version: "7"}
	deadline := info.Deadline
	info.Deadline = time.Time{}
	if info != want {
		t.Fatalf("got %+v, want %+v", info, want)
	}
	if !deadline.Equal(time.Date(2030, 1, 1, 12, 0, 30, 500_000_000, time.UTC)) {
		t.Fatalf("deadline %v", deadline)
	}
}

func TestContext_IsDoneAtItsDeadlineAndReportsTheTimeLeft(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	ctx, cancel := pontoon.NewContext(context.Background(), pontoon.Info{Deadline: deadline}, nil)
	defer cancel()
	if got, ok := ctx.Deadline(); !ok || !got.Equal(deadline) {
		t.Fatalf("Deadline() = %v, %v", got, ok)
	}
	if left := ctx.Remaining(); left <= 0 || left > time.Hour {
		t.Fatalf("Remaining() = %v", left)
	}
	past, cancelPast := pontoon.NewContext(context.Background(), pontoon.Info{Deadline: time.Now().Add(-time.Minute)}, nil)
	defer cancelPast()
	if past.Remaining() != 0 || !errors.Is(past.Err(), context.DeadlineExceeded) {
		t.Fatalf("past deadline: Remaining() = %v, Err() = %v", past.Remaining(), past.Err())
	}
}

func TestContext_IsUnboundedAndAttempt1WhenRunOutsidePontoon(t *testing.T) {
	info, err := pontoon.InfoFromEnv(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := pontoon.NewContext(context.Background(), info, nil)
	defer cancel()
	if _, ok := ctx.Deadline(); ok || ctx.Remaining() != pontoon.Unbounded || ctx.Attempt != 1 || ctx.ExecutionID != "" {
		t.Fatalf("got %+v, remaining %v", info, ctx.Remaining())
	}
}

func TestContext_RejectsADeadlineThatIsNotISO8601NamingTheVariable(t *testing.T) {
	_, err := pontoon.InfoFromEnv(envOf(map[string]string{pontoon.EnvDeadline: "tomorrow"}))
	if !errors.Is(err, pontoon.ErrContract) || !strings.Contains(err.Error(), pontoon.EnvDeadline) {
		t.Fatalf("got %v", err)
	}
}

func TestLogger_WritesPlainLinesWithALevelPrefixInfoToStdoutErrorToStderr(t *testing.T) {
	var out, errs bytes.Buffer
	logger := pontoon.NewLogger(&out, &errs)
	logger.Infof("found %d primes", 4)
	logger.Debug("two\nlines")
	logger.Warn("slow")
	logger.Error("50% done")
	if want := "[INFO] found 4 primes\n[DEBUG] two\n[DEBUG] lines\n"; out.String() != want {
		t.Fatalf("stdout %q, want %q", out.String(), want)
	}
	if want := "[WARN] slow\n[ERROR] 50% done\n"; errs.String() != want {
		t.Fatalf("stderr %q, want %q", errs.String(), want)
	}
}
