package dev.pontoon.sdk;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Type;

/**
 * The SDK's entry points. The watcher API ({@link #getInput()}, {@link #done(Object)},
 * {@link #fail(String)}) for programs that run top to bottom; {@link #serve} for a {@link Handler};
 * {@link #invoke} for whoever calls a handler many times in one process (a warm replica).
 */
public final class Pontoon {
  private Pontoon() {}

  /** The input, parsed: a Map, List, String, Number, Boolean or null. */
  public static Object getInput() {
    return getInputAsJson(Object.class);
  }

  /** The input, converted to the given class (a record, a POJO, {@code int[]}, ...). */
  public static <T> T getInputAsJson(Class<T> type) {
    return Json.parse(watcherInput(), Json.type((Type) type));
  }

  /** The input, converted to a generic type, e.g. {@code new TypeReference<List<Integer>>() {}}. */
  public static <T> T getInputAsJson(TypeReference<T> type) {
    return Json.parse(watcherInput(), Json.type(type));
  }

  /**
   * This attempt's input as JSON text. A warm replica has none to read (each invocation brings its
   * own to the handler): it throws rather than give a program a null input.
   */
  private static String watcherInput() {
    if (inReplica()) {
      throw new PontoonException("getInput reads an on-demand attempt's input, and this process is a warm replica:"
          + " a program runs on demand only (a handler gets its input as an argument)");
    }
    return Contract.fromEnv().readInputJson();
  }

  /** The context of this attempt. */
  public static Context context() {
    return Context.fromEnv();
  }

  /** Ends the program successfully with a null result. */
  public static void done() {
    done(null);
  }

  /** Writes the result as JSON and exits 0; a result that cannot be written is a failure (exit 1). */
  public static void done(Object result) {
    Contract contract = Contract.fromEnv();
    try {
      contract.writeOutputJson(Json.stringify(result));
    } catch (PontoonException e) {
      fail(e.getMessage());
    }
    exit(0);
  }

  /**
   * Writes the failure message and exits 1. In a warm replica (PONTOON_RUNTIME_API set), where no
   * attempt is under way before {@link #serve}, the message is the replica's start failure: it is
   * posted to the runtime API's init/error.
   */
  public static void fail(String message) {
    if (inReplica()) Replica.failStart(message);
    try {
      Contract.fromEnv().writeError(message == null ? "failed" : message);
    } catch (PontoonException e) {
      // The error file is gone; the message still reaches the logs, and the exit code still fails.
      System.err.println(message);
    }
    exit(1);
  }

  /** Runs a handler whose input is plain parsed JSON (Map, List, ...), then exits. */
  public static <O> void serve(Handler<Object, O> handler) {
    serve(Object.class, handler);
  }

  /** Reads the input as {@code inputType}, runs the handler, writes its result or failure, and exits. */
  public static <I, O> void serve(Class<I> inputType, Handler<I, O> handler) {
    serve(Json.type((Type) inputType), handler);
  }

  /** Like {@link #serve(Class, Handler)}, for a generic input type. */
  public static <I, O> void serve(TypeReference<I> inputType, Handler<I, O> handler) {
    serve(Json.type(inputType), handler);
  }

  /** Calls a handler with input JSON text; never throws: conversion errors and exceptions become failures. */
  public static <I, O> Outcome invoke(Class<I> inputType, Handler<I, O> handler, String inputJson, Context ctx) {
    return invoke(Json.type((Type) inputType), handler, inputJson, ctx);
  }

  /** Like {@link #invoke(Class, Handler, String, Context)}, for a generic input type. */
  public static <I, O> Outcome invoke(
      TypeReference<I> inputType, Handler<I, O> handler, String inputJson, Context ctx) {
    return invoke(Json.type(inputType), handler, inputJson, ctx);
  }

  /**
   * Serves one attempt by the file contract; started as a warm replica (PONTOON_RUNTIME_API set),
   * runs the handler for every invocation the runtime API hands out instead, until Pontoon drains
   * the replica (docs/warm-replicas.md).
   */
  private static <I, O> void serve(Json.Target inputType, Handler<I, O> handler) {
    if (inReplica()) {
      Replica.serve(inputType, handler);
      return;
    }
    Contract contract = Contract.fromEnv();
    Outcome outcome;
    try {
      outcome = invoke(inputType, handler, contract.readInputJson(), Context.fromEnv());
    } catch (PontoonException e) {
      outcome = Outcome.failed(e.getMessage());
    }
    finish(contract, outcome);
  }

  static <I, O> Outcome invoke(Json.Target inputType, Handler<I, O> handler, String inputJson, Context ctx) {
    I input;
    try {
      input = Json.parse(inputJson, inputType);
    } catch (PontoonException e) {
      return Outcome.failed(e.getMessage());
    }
    O result;
    try {
      result = handler.handle(input, ctx);
    } catch (Throwable e) {
      ctx.logger().error("%s", stackTrace(e));
      return Outcome.failed(messageOf(e));
    }
    try {
      return Outcome.succeeded(Json.stringify(result));
    } catch (PontoonException e) {
      return Outcome.failed(e.getMessage());
    }
  }

  private static boolean inReplica() {
    String address = System.getenv(Contract.RUNTIME_API);
    return address != null && !address.isEmpty();
  }

  private static void finish(Contract contract, Outcome outcome) {
    if (outcome.ok()) {
      try {
        contract.writeOutputJson(outcome.output());
        exit(0);
      } catch (PontoonException e) {
        outcome = Outcome.failed(e.getMessage());
      }
    }
    fail(outcome.error());
  }

  /** The message a failure carries: the exception's own message, else its class name. */
  static String messageOf(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getName() : message;
  }

  private static String stackTrace(Throwable e) {
    StringWriter text = new StringWriter();
    e.printStackTrace(new PrintWriter(text));
    return text.toString().stripTrailing();
  }

  private static void exit(int code) {
    System.out.flush();
    System.err.flush();
    System.exit(code);
  }
}
