package pontoon_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type childRun struct {
	code           int
	stdout, stderr string
	dir            string
}

// runChild re-runs this test binary as a function program under the contract (see TestMain).
func runChild(t *testing.T, mode, input string, env ...string) childRun {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "input.json"), []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = []string{
		fixtureEnv + "=" + mode,
		"PONTOON_INPUT=" + filepath.Join(dir, "input.json"),
		"PONTOON_OUTPUT=" + filepath.Join(dir, "output.json"),
		"PONTOON_ERROR=" + filepath.Join(dir, "error.txt"),
		"PONTOON_ATTEMPT=2",
		"PONTOON_FUNCTION=primes",
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return childRun{code: code, stdout: stdout.String(), stderr: stderr.String(), dir: dir}
}

func (r childRun) file(name string) (string, bool) {
	data, err := os.ReadFile(filepath.Join(r.dir, name))
	return string(data), err == nil
}

func TestExit_DoneWritesTheResultFileAndExits0AndTheLoggersLinesReachStdout(t *testing.T) {
	run := runChild(t, "watcher-done", "[10, 30]")
	if run.code != 0 {
		t.Fatalf("exit %d: %s", run.code, run.stderr)
	}
	if output, _ := run.file("output.json"); output != "[11,13,17,19,23,29]" {
		t.Fatalf("output %q", output)
	}
	if _, exists := run.file("error.txt"); exists {
		t.Fatal("error file written on success")
	}
	if !strings.Contains(run.stdout, "[INFO] attempt 2 of primes\n") {
		t.Fatalf("stdout %q", run.stdout)
	}
}

func TestExit_FailWritesTheMessageToTheErrorFileAndExits1(t *testing.T) {
	run := runChild(t, "watcher-fail", "null")
	message, _ := run.file("error.txt")
	_, outputExists := run.file("output.json")
	if run.code != 1 || message != "no primes today" || outputExists {
		t.Fatalf("exit %d, error %q, output written %v", run.code, message, outputExists)
	}
}

func TestExit_ServeRunsTheHandlerAndWritesItsResult(t *testing.T) {
	run := runChild(t, "serve", "[1, 10]")
	output, _ := run.file("output.json")
	if run.code != 0 || output != "[2,3,5,7]" {
		t.Fatalf("exit %d, output %q: %s", run.code, output, run.stderr)
	}
}

func TestExit_ServeTurnsAnErrorOrAPanicIntoAFailureWithItsMessageAndExit1(t *testing.T) {
	run := runChild(t, "serve", "[10, 1]")
	message, _ := run.file("error.txt")
	if run.code != 1 || message != "from > to" {
		t.Fatalf("exit %d, error %q", run.code, message)
	}
	run = runChild(t, "serve-panic", "null")
	message, _ = run.file("error.txt")
	if run.code != 1 || message != "panic: out of primes" || !strings.Contains(run.stderr, "[ERROR] panic: out of primes\n") {
		t.Fatalf("exit %d, error %q, stderr %q", run.code, message, run.stderr)
	}
}

func TestExit_ServeFailsWithAClearMessageWhenTheInputIsNotJSON(t *testing.T) {
	run := runChild(t, "serve", "[1,")
	message, _ := run.file("error.txt")
	if run.code != 1 || !strings.HasPrefix(message, "input is not valid JSON") {
		t.Fatalf("exit %d, error %q", run.code, message)
	}
}
