// The conformance function for Go: interprets the test vectors' actions through the SDK.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	pontoon "pontoon.dev/sdk/go"
)

func handle(ctx *pontoon.Context, input map[string]any) (any, error) {
	if input == nil {
		return nil, errors.New("input must be an object with an action")
	}
	text := func(key string) string { s, _ := input[key].(string); return s }
	number := func(key string) int { n, _ := input[key].(float64); return int(n) }
	switch action := text("action"); action {
	case "echo":
		return input["value"], nil
	case "fail":
		pontoon.Fail(text("message"))
	case "throw":
		return nil, errors.New(text("message"))
	case "log":
		lines, _ := input["lines"].([]any)
		for _, line := range lines {
			ctx.Logger.Info(line)
		}
		if warn := text("warn"); warn != "" {
			ctx.Logger.Warn(warn)
		}
		if plain := text("plain"); plain != "" {
			fmt.Println(plain)
		}
		return nil, nil
	case "sleep":
		time.Sleep(time.Duration(number("ms")) * time.Millisecond)
		return "slept", nil
	case "exit":
		os.Exit(number("code"))
	case "raw-output":
		if err := os.WriteFile(os.Getenv("PONTOON_OUTPUT"), []byte(text("value")), 0o644); err != nil {
			return nil, err
		}
		os.Exit(0)
	case "big-output":
		return strings.Repeat("x", number("bytes")), nil
	case "context":
		deadline, ok := ctx.Deadline()
		return map[string]any{
			"executionId":      ctx.ExecutionID,
			"attempt":          ctx.Attempt,
			"function":         ctx.Function,
			"namespace":        ctx.Namespace,
			"version":          ctx.Version,
			"deadlineInFuture": ok && time.Until(deadline) > 0,
		}, nil
	default:
		return nil, fmt.Errorf("unknown action %s", action)
	}
	return nil, nil
}

func main() { pontoon.Serve(handle) }
