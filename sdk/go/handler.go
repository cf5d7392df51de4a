package pontoon

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
)

// Handler is a function in handler form: it takes the context and the input and returns the
// result. A returned error (or a panic) is a failure with its message. A handler may be called
// many times per process, so it should keep no state between calls that it relies on.
type Handler[I, O any] func(ctx *Context, input I) (O, error)

// Outcome is how one call of a handler ended: the result as JSON text, or a failure message.
type Outcome struct {
	OK     bool
	Output []byte // the result as JSON text, when OK
	Error  string // the failure message, when not OK
}

// Succeeded is a success with the result as JSON text.
func Succeeded(output []byte) Outcome { return Outcome{OK: true, Output: output} }

// Failed is a failure with its message.
func Failed(message string) Outcome { return Outcome{Error: message} }

// Invoke calls a handler with input JSON text. Bad input, a returned error, a panic and a result
// that is not JSON all become failures; a panic's stack is logged through the context's logger.
func Invoke[I, O any](ctx *Context, handler Handler[I, O], inputJSON []byte) Outcome {
	var input I
	if err := decodeInput(inputJSON, &input); err != nil {
		return Failed(err.Error())
	}
	result, err := call(ctx, handler, input)
	if err != nil {
		return Failed(messageOf(err))
	}
	output, err := encodeResult(result)
	if err != nil {
		return Failed(err.Error())
	}
	return Succeeded(output)
}

func call[I, O any](ctx *Context, handler Handler[I, O], input I) (result O, err error) {
	defer func() {
		if recovered := recover(); recovered != nil {
			ctx.Logger.Errorf("panic: %v\n%s", recovered, debug.Stack())
			err = fmt.Errorf("panic: %v", recovered)
		}
	}()
	return handler(ctx, input)
}

// messageOf is the message a failure carries: the error's text, else its type.
func messageOf(err error) string {
	if message := err.Error(); message != "" {
		return message
	}
	return fmt.Sprintf("%T", err)
}

// Serve reads this process's input, runs the handler, writes its result or failure, and exits
// (0 or 1). It does not return.
//
// Started as a warm replica (PONTOON_RUNTIME_API set), it runs the handler for every invocation
// the runtime API hands out instead, up to PONTOON_REPLICA_CONCURRENCY at once, until Pontoon
// drains the replica (docs/warm-replicas.md).
func Serve[I, O any](handler Handler[I, O]) {
	if os.Getenv(EnvRuntimeAPI) != "" {
		serveReplica(handler)
	}
	contract := ContractFromEnv()
	info, err := InfoFromEnv(os.Getenv)
	if err != nil {
		finish(contract, Failed(err.Error()))
	}
	ctx, cancel := NewContext(context.Background(), info, nil)
	input, err := contract.ReadInputJSON()
	if err != nil {
		cancel()
		finish(contract, Failed(err.Error()))
	}
	outcome := Invoke(ctx, handler, input)
	cancel()
	finish(contract, outcome)
}

// finish writes an outcome through the contract and exits; a result that cannot be written fails.
func finish(contract *Contract, outcome Outcome) {
	if outcome.OK {
		err := contract.WriteOutputJSON(outcome.Output)
		if err == nil {
			os.Exit(0)
		}
		outcome = Failed(err.Error())
	}
	if err := contract.WriteError(outcome.Error); err != nil {
		// The error file is unwritable; the message still reaches the logs and the exit code fails.
		fmt.Fprintln(os.Stderr, outcome.Error)
	}
	os.Exit(1)
}
