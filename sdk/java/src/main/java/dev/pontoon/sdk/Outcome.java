package dev.pontoon.sdk;

/** How one call of a handler ended: the result as JSON text, or a failure message. */
public final class Outcome {
  private final boolean ok;
  private final String output;
  private final String error;

  private Outcome(boolean ok, String output, String error) {
    this.ok = ok;
    this.output = output;
    this.error = error;
  }

  /** A success with the result as JSON text. */
  public static Outcome succeeded(String output) {
    return new Outcome(true, output, null);
  }

  /** A failure with its message. */
  public static Outcome failed(String error) {
    return new Outcome(false, null, error);
  }

  /** Whether the handler returned a result. */
  public boolean ok() {
    return ok;
  }

  /** The result as JSON text, or null on failure. */
  public String output() {
    return output;
  }

  /** The failure message, or null on success. */
  public String error() {
    return error;
  }

  @Override
  public String toString() {
    return ok ? "succeeded " + output : "failed " + error;
  }
}
