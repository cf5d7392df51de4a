package dev.pontoon.sdk;

/**
 * A function in handler form: takes the input and the context, returns the result. A thrown
 * exception is a failure with its message. Called once per execution, possibly many times per process.
 */
@FunctionalInterface
public interface Handler<I, O> {
  /** Runs one execution. */
  O handle(I input, Context ctx) throws Exception;
}
