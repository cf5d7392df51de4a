package dev.pontoon.sdk;

import java.io.PrintStream;

/**
 * Writes plain log lines with a level prefix. The observer timestamps each line, so the logger does
 * not; debug and info go to stdout, warn and error to stderr.
 */
public final class Logger {
  private final PrintStream out;
  private final PrintStream err;

  /** A logger writing to the given streams. */
  public Logger(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** A logger writing to this process's stdout and stderr. */
  public static Logger standard() {
    return new Logger(System.out, System.err);
  }

  /** Logs at debug level. */
  public void debug(String message, Object... args) {
    write(out, "DEBUG", message, args);
  }

  /** Logs at info level. */
  public void info(String message, Object... args) {
    write(out, "INFO", message, args);
  }

  /** Logs at warn level. */
  public void warn(String message, Object... args) {
    write(err, "WARN", message, args);
  }

  /** Logs at error level. */
  public void error(String message, Object... args) {
    write(err, "ERROR", message, args);
  }

  private static void write(PrintStream stream, String level, String message, Object[] args) {
    String text = args.length == 0 ? String.valueOf(message) : String.format(message, args);
    // Each physical line carries the level, because the observer splits logs into lines.
    StringBuilder lines = new StringBuilder();
    for (String line : text.split("\r?\n", -1)) {
      lines.append('[').append(level).append("] ").append(line).append(System.lineSeparator());
    }
    synchronized (stream) {
      stream.print(lines);
      stream.flush();
    }
  }
}
