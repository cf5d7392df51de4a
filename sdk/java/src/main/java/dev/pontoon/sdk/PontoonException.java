package dev.pontoon.sdk;

/** Thrown when the function contract cannot be honoured: a missing or unreadable input, a result that is not JSON. */
public class PontoonException extends RuntimeException {
  /** Creates an exception with a message that says what went wrong and what to do next. */
  public PontoonException(String message) {
    super(message);
  }

  /** Creates an exception that keeps the underlying cause. */
  public PontoonException(String message, Throwable cause) {
    super(message, cause);
  }
}
