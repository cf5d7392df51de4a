package pontoon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// The environment variables of the function contract.
const (
	EnvInput       = "PONTOON_INPUT"        // path of the file that holds the input as JSON
	EnvOutput      = "PONTOON_OUTPUT"       // path where the result is written as JSON
	EnvError       = "PONTOON_ERROR"        // path where a failing program writes its failure message
	EnvExecutionID = "PONTOON_EXECUTION_ID" // the execution id
	EnvAttempt     = "PONTOON_ATTEMPT"      // the attempt number, from 1
	EnvFunction    = "PONTOON_FUNCTION"     // the function's name
	EnvNamespace   = "PONTOON_NAMESPACE"    // the function's namespace
	EnvVersion     = "PONTOON_VERSION"      // the function's version
	EnvDeadline    = "PONTOON_DEADLINE"     // the attempt's deadline, an RFC 3339 timestamp
	EnvTraceparent = "TRACEPARENT"          // the W3C trace context of the attempt's span, when the execution has a trace
	EnvTracestate  = "TRACESTATE"           // the W3C tracestate that goes with it, when the caller sent one
)

// ErrContract marks errors where the contract cannot be honoured: an unreadable input, a
// result that is not JSON. Test with errors.Is.
var ErrContract = errors.New("pontoon contract")

// contractError carries a message of its own while still matching ErrContract.
type contractError struct{ message string }

func (e *contractError) Error() string        { return e.message }
func (e *contractError) Is(target error) bool { return target == ErrContract }

func contractErrorf(format string, args ...any) error {
	return &contractError{message: fmt.Sprintf(format, args...)}
}

// Contract is the file side of the function contract over one environment: where the input is
// read and where the result or failure message is written. It never exits.
type Contract struct {
	// Getenv looks a variable up; an empty value counts as unset.
	Getenv func(string) string
	// Out and Err receive the result and the failure when the program runs outside Pontoon.
	Out, Err io.Writer
}

// ContractFromEnv is the contract of this process.
func ContractFromEnv() *Contract {
	return &Contract{Getenv: os.Getenv, Out: os.Stdout, Err: os.Stderr}
}

// ReadInputJSON returns the input as JSON text; null when the program runs outside Pontoon.
func (c *Contract) ReadInputJSON() ([]byte, error) {
	path := c.Getenv(EnvInput)
	if path == "" {
		return []byte("null"), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, contractErrorf("cannot read the input file %s (%s): %v", path, EnvInput, err)
	}
	return data, nil
}

// WriteOutputJSON writes the result JSON text to PONTOON_OUTPUT, or prints it when there is none.
func (c *Contract) WriteOutputJSON(data []byte) error {
	return c.write(EnvOutput, data, c.Out)
}

// WriteError writes the failure message to PONTOON_ERROR, or prints it when there is none.
func (c *Contract) WriteError(message string) error {
	return c.write(EnvError, []byte(message), c.Err)
}

func (c *Contract) write(name string, data []byte, fallback io.Writer) error {
	path := c.Getenv(name)
	if path == "" {
		_, err := fallback.Write(append(append([]byte{}, data...), '\n'))
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return contractErrorf("cannot write %s (%s): %v", path, name, err)
	}
	return nil
}

// decodeInput parses input JSON text into v; an empty text is null (v keeps its zero value).
func decodeInput(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return contractErrorf("input is not valid JSON for %T: %v", v, err)
	}
	return nil
}

// encodeResult serializes a result to JSON text; nil is null.
func encodeResult(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, contractErrorf("result is not JSON-serializable: %v", err)
	}
	return data, nil
}
