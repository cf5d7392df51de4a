package pontoon

import "os"

// GetInput returns the input parsed from JSON (maps, slices, float64, string, bool or nil).
func GetInput() (any, error) {
	return GetInputAsJSON[any]()
}

// GetInputAsJSON returns the input decoded into T, e.g. GetInputAsJSON[[2]int]() or a struct.
//
// In a warm replica there is no input to read (each invocation brings its own to the handler), so
// it returns an error rather than give a program a zero input.
func GetInputAsJSON[T any]() (T, error) {
	var input T
	if os.Getenv(EnvRuntimeAPI) != "" {
		return input, contractErrorf("GetInput reads an on-demand attempt's input, and this process is a warm replica: a program runs on demand only (a handler gets its input as an argument)")
	}
	data, err := ContractFromEnv().ReadInputJSON()
	if err != nil {
		return input, err
	}
	err = decodeInput(data, &input)
	return input, err
}

// Done writes the result as JSON and exits 0; a result that cannot be written is a failure
// (exit 1). It does not return.
func Done(result any) {
	output, err := encodeResult(result)
	if err != nil {
		finish(ContractFromEnv(), Failed(err.Error()))
	}
	finish(ContractFromEnv(), Succeeded(output))
}

// Fail writes the failure message and exits 1. It does not return.
//
// In a warm replica (PONTOON_RUNTIME_API set), where no attempt is under way before Serve, the
// message is the replica's start failure: it is posted to the runtime API's init/error.
func Fail(message string) {
	if os.Getenv(EnvRuntimeAPI) != "" {
		failStart(message)
	}
	finish(ContractFromEnv(), Failed(message))
}
