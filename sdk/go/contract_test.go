package pontoon_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pontoon "pontoon.dev/sdk/go"
)

func contractWith(env map[string]string, out, err *bytes.Buffer) *pontoon.Contract {
	return &pontoon.Contract{Getenv: func(name string) string { return env[name] }, Out: out, Err: err}
}

func TestContract_ReadsTheInputJSONFromTheFileNamedByPONTOON_INPUT(t *testing.T) {
	path := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(path, []byte("[1, 10]"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := contractWith(map[string]string{pontoon.EnvInput: path}, nil, nil).ReadInputJSON()
	if err != nil || string(data) != "[1, 10]" {
		t.Fatalf("got %q, %v", data, err)
	}
}

func TestContract_TreatsAProgramRunOutsidePontoonAsHavingANullInput(t *testing.T) {
	data, err := contractWith(nil, nil, nil).ReadInputJSON()
	if err != nil || string(data) != "null" {
		t.Fatalf("got %q, %v", data, err)
	}
}

func TestContract_SaysWhichFileItCouldNotReadWhenTheInputFileIsMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.json")
	_, err := contractWith(map[string]string{pontoon.EnvInput: path}, nil, nil).ReadInputJSON()
	if !errors.Is(err, pontoon.ErrContract) || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v", err)
	}
}

func TestContract_WritesTheResultToPONTOON_OUTPUTAndTheFailureToPONTOON_ERROR(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{pontoon.EnvOutput: filepath.Join(dir, "output.json"), pontoon.EnvError: filepath.Join(dir, "error.txt")}
	var printed bytes.Buffer
	contract := contractWith(env, &printed, &printed)
	if err := contract.WriteOutputJSON([]byte("[2,3,5]")); err != nil {
		t.Fatal(err)
	}
	if err := contract.WriteError("no primes today"); err != nil {
		t.Fatal(err)
	}
	assertFile(t, env[pontoon.EnvOutput], "[2,3,5]")
	assertFile(t, env[pontoon.EnvError], "no primes today")
	if printed.Len() != 0 {
		t.Fatalf("printed %q", printed.String())
	}
}

func TestContract_PrintsTheResultToStdoutAndTheFailureToStderrOutsidePontoon(t *testing.T) {
	var out, errs bytes.Buffer
	contract := contractWith(nil, &out, &errs)
	_ = contract.WriteOutputJSON([]byte("42"))
	_ = contract.WriteError("broken")
	if out.String() != "42\n" || errs.String() != "broken\n" {
		t.Fatalf("out %q, err %q", out.String(), errs.String())
	}
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if string(data) != want {
		t.Fatalf("%s holds %q, want %q", filepath.Base(path), data, want)
	}
}
