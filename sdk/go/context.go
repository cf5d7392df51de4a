package pontoon

import (
	"context"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Unbounded is what Remaining returns when the attempt has no deadline.
const Unbounded = time.Duration(math.MaxInt64)

// Info is what an attempt knows about itself; a warm replica fills one per execution.
type Info struct {
	ExecutionID string
	Attempt     int
	Function    string
	Namespace   string
	Version     string
	Deadline    time.Time // zero when the attempt has no deadline
	Traceparent string    // the W3C traceparent of the attempt's span; empty without a trace
	Tracestate  string    // the W3C tracestate that goes with it
}

// Context is the context of one attempt. It is a context.Context that is done at the
// attempt's deadline, so it can be passed straight to HTTP requests and database calls.
//
// Its Deadline method (from context.Context) reports the attempt's deadline.
type Context struct {
	context.Context
	ExecutionID string // the execution id
	Attempt     int    // the attempt number, from 1
	Function    string // the function's name
	Namespace   string // the function's namespace
	Version     string // the function's version
	// Traceparent is the W3C trace context of this attempt's span (00-<trace id>-<span id>-<flags>),
	// empty when the execution has no trace: start your own spans under it to join the trace.
	Traceparent string
	Tracestate  string // the W3C tracestate that goes with Traceparent, when the caller sent one
	TraceID     string // the trace id (32 hex digits) of Traceparent; empty without one
	Logger      *Logger
	now         func() time.Time
}

// NewContext returns the context of one attempt, derived from parent and done at info.Deadline.
// Call cancel when the attempt ends to release its timer.
func NewContext(parent context.Context, info Info, logger *Logger) (*Context, context.CancelFunc) {
	ctx, cancel := parent, context.CancelFunc(func() {})
	if !info.Deadline.IsZero() {
		ctx, cancel = context.WithDeadline(parent, info.Deadline)
	}
	if logger == nil {
		logger = StandardLogger()
	}
	// A malformed traceparent is ignored with its tracestate, as the W3C recommendation asks.
	traceparent, tracestate := strings.TrimSpace(info.Traceparent), strings.TrimSpace(info.Tracestate)
	traceID := traceIDOf(traceparent)
	if traceID == "" {
		traceparent, tracestate = "", ""
	}
	return &Context{
		Context:     ctx,
		ExecutionID: info.ExecutionID,
		Attempt:     info.Attempt,
		Function:    info.Function,
		Namespace:   info.Namespace,
		Version:     info.Version,
		Traceparent: traceparent,
		Tracestate:  tracestate,
		TraceID:     traceID,
		Logger:      logger,
		now:         time.Now,
	}, cancel
}

// InfoFromEnv reads an attempt's Info from the PONTOON_* variables; missing values are empty,
// and the attempt defaults to 1.
func InfoFromEnv(getenv func(string) string) (Info, error) {
	info := Info{
		ExecutionID: getenv(EnvExecutionID),
		Attempt:     1,
		Function:    getenv(EnvFunction),
		Namespace:   getenv(EnvNamespace),
		Version:     getenv(EnvVersion),
		Traceparent: getenv(EnvTraceparent),
		Tracestate:  getenv(EnvTracestate),
	}
	if attempt, err := strconv.Atoi(strings.TrimSpace(getenv(EnvAttempt))); err == nil && attempt >= 1 {
		info.Attempt = attempt
	}
	if value := strings.TrimSpace(getenv(EnvDeadline)); value != "" {
		deadline, err := time.Parse(time.RFC3339Nano, value)
		if err != nil {
			return info, contractErrorf("%s is not an ISO 8601 timestamp: %s", EnvDeadline, value)
		}
		info.Deadline = deadline
	}
	return info, nil
}

// GetContext returns the context of this process's attempt. Its deadline timer is released when
// the process exits, which Done, Fail and Serve do.
func GetContext() (*Context, error) {
	info, err := InfoFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	ctx, _ := NewContext(context.Background(), info, nil)
	return ctx, nil
}

// Remaining is the time left before the deadline (zero once past it), or Unbounded without one.
func (c *Context) Remaining() time.Duration {
	deadline, ok := c.Deadline()
	if !ok {
		return Unbounded
	}
	if left := deadline.Sub(c.now()); left > 0 {
		return left
	}
	return 0
}

var traceparentFormat = regexp.MustCompile(`^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$`)

// traceIDOf is the trace id of a well-formed W3C traceparent, else "".
func traceIDOf(traceparent string) string {
	match := traceparentFormat.FindStringSubmatch(traceparent)
	if match == nil {
		return ""
	}
	version, traceID, spanID, rest := match[1], match[2], match[3], match[5]
	if version == "ff" || (version == "00" && rest != "") || strings.Trim(traceID, "0") == "" || strings.Trim(spanID, "0") == "" {
		return ""
	}
	return traceID
}
