package pontoon

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Logger writes plain "[LEVEL] message" lines; the observer timestamps them. Debug and info go
// to Out, warn and error to Err. It is safe for concurrent use.
type Logger struct {
	out, err io.Writer
	// prefix starts every line: a warm replica's logger for one invocation tags its lines with
	// LogTag, the invocation id and a space, so Pontoon files them under that invocation's attempt
	// however many run at once (docs/warm-replicas.md, "Logs").
	prefix string
	mu     sync.Mutex
}

// LogTag starts a line that belongs to one invocation of a warm replica: the tag, the invocation
// id, a space.
const LogTag = "\x1e"

// writeMu serializes the standard loggers' writes: a warm replica's invocations each have a
// logger of their own over the same stdout and stderr.
var writeMu sync.Mutex

// invocationLogger is a logger over this process's stdout and stderr whose lines carry an
// invocation's tag.
func invocationLogger(id string) *Logger {
	return &Logger{out: os.Stdout, err: os.Stderr, prefix: LogTag + id + " "}
}

// NewLogger returns a logger over two writers.
func NewLogger(out, err io.Writer) *Logger {
	return &Logger{out: out, err: err}
}

// StandardLogger returns a logger over this process's stdout and stderr.
func StandardLogger() *Logger {
	return NewLogger(os.Stdout, os.Stderr)
}

// Debug logs at debug level, formatting its arguments like fmt.Sprint.
func (l *Logger) Debug(args ...any) { l.write(l.out, "DEBUG", fmt.Sprint(args...)) }

// Debugf logs at debug level, formatting like fmt.Sprintf.
func (l *Logger) Debugf(format string, args ...any) {
	l.write(l.out, "DEBUG", fmt.Sprintf(format, args...))
}

// Info logs at info level.
func (l *Logger) Info(args ...any) { l.write(l.out, "INFO", fmt.Sprint(args...)) }

// Infof logs at info level, formatting like fmt.Sprintf.
func (l *Logger) Infof(format string, args ...any) {
	l.write(l.out, "INFO", fmt.Sprintf(format, args...))
}

// Warn logs at warn level.
func (l *Logger) Warn(args ...any) { l.write(l.err, "WARN", fmt.Sprint(args...)) }

// Warnf logs at warn level, formatting like fmt.Sprintf.
func (l *Logger) Warnf(format string, args ...any) {
	l.write(l.err, "WARN", fmt.Sprintf(format, args...))
}

// Error logs at error level.
func (l *Logger) Error(args ...any) { l.write(l.err, "ERROR", fmt.Sprint(args...)) }

// Errorf logs at error level, formatting like fmt.Sprintf.
func (l *Logger) Errorf(format string, args ...any) {
	l.write(l.err, "ERROR", fmt.Sprintf(format, args...))
}

func (l *Logger) write(w io.Writer, level, text string) {
	// Each physical line carries the level, because the observer splits logs into lines.
	var b strings.Builder
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		b.WriteString(l.prefix + "[" + level + "] " + line + "\n")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	writeMu.Lock()
	defer writeMu.Unlock()
	_, _ = io.WriteString(w, b.String())
}
