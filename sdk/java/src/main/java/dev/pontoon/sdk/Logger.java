package dev.pontoon.sdk;

import java.io.PrintStream;

/**
 * Writes plain log lines with a level prefix. The observer timestamps each line, so the logger does
 * not; debug and info go to stdout, warn and error to stderr.
 */
public final class Logger {
  /** Starts a line that belongs to one invocation of a warm replica: the tag, the invocation id, a space. */
  public static final char TAG = '\u001e';

  private final PrintStream out;
  private final PrintStream err;
  private final String prefix;

  /** A logger writing to the given streams. */
  public Logger(PrintStream out, PrintStream err) {
    this(out, err, "");
  }

  private Logger(PrintStream out, PrintStream err, String prefix) {
    this.out = out;
    this.err = err;
    this.prefix = prefix;
  }

  /**
   * A warm replica's logger for one invocation: every line starts with {@link #TAG}, the
   * invocation id and a space, so that Pontoon files it under that invocation's attempt however
   * many run at once (docs/warm-replicas.md, "Logs").
   */
  public static Logger tagged(PrintStream out, PrintStream err, String invocationId) {
    return new Logger(out, err, TAG + invocationId + " ");
  }

  /** A logger writing to this process's stdout and stderr. */
  public static Logger standard() {
    return new Logger(System.out, System.err);
  }

  /** Logs at debug level. */
  public void debug(String message, Object... args) {
    write(out, prefix, "DEBUG", message, args);
  }

  /** Logs at info level. */
  public void info(String message, Object... args) {
    write(out, prefix, "INFO", message, args);
  }

  /** Logs at warn level. */
  public void warn(String message, Object... args) {
    write(err, prefix, "WARN", message, args);
  }

  /** Logs at error level. */
  public void error(String message, Object... args) {
    write(err, prefix, "ERROR", message, args);
  }

  private static void write(PrintStream stream, String prefix, String level, String message, Object[] args) {
    String text = args.length == 0 ? String.valueOf(message) : String.format(message, args);
    // Each physical line carries the level, because the observer splits logs into lines.
    StringBuilder lines = new StringBuilder();
    for (String line : text.split("\r?\n", -1)) {
      lines.append(prefix).append('[').append(level).append("] ").append(line).append(System.lineSeparator());
    }
    synchronized (stream) {
      stream.print(lines);
      stream.flush();
    }
  }
}
