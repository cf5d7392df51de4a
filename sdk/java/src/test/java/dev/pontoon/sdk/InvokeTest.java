package dev.pontoon.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Pontoon.invoke: the handler core a warm replica calls many times")
class InvokeTest {
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final Context ctx = new Context("ex-1", 1, "primes", "default", "1", null,
      new Logger(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8)),
      Clock.systemUTC());

  /** A record input, as users write them. */
  record Range(int from, int to) {}

  @Test
  @DisplayName("returns the handler's result as JSON text")
  void success() {
    Outcome outcome = Pontoon.invoke(int[].class, (input, c) -> Primes.between(input[0], input[1]), "[1, 20]", ctx);
    assertTrue(outcome.ok());
    assertEquals("[2,3,5,7,11,13,17,19]", outcome.output());
  }

  @Test
  @DisplayName("converts the input to a record and to a generic type")
  void typedInput() {
    Outcome record = Pontoon.invoke(Range.class, (input, c) -> input.to() - input.from(), "{\"from\": 3, \"to\": 10, \"extra\": true}", ctx);
    assertEquals("7", record.output());
    Outcome generic = Pontoon.invoke(new TypeReference<List<Long>>() {}, (input, c) -> input.get(1) * 2, "[1, 5000000000]", ctx);
    assertEquals("10000000000", generic.output());
  }

  @Test
  @DisplayName("gives an untyped handler plain maps and lists, and writes null for a null result")
  void untyped() {
    Outcome outcome = Pontoon.invoke(Object.class, (input, c) -> ((Map<?, ?>) input).get("name"), "{\"name\": \"x\"}", ctx);
    assertEquals("\"x\"", outcome.output());
    assertEquals("null", Pontoon.invoke(Object.class, (input, c) -> null, "null", ctx).output());
  }

  @Test
  @DisplayName("turns an exception into a failure with its message and logs its stack trace")
  void exception() {
    Outcome outcome = Pontoon.invoke(Object.class, (input, c) -> { throw new IllegalStateException("range too large"); }, "null", ctx);
    assertFalse(outcome.ok());
    assertEquals("range too large", outcome.error());
    String logs = err.toString(StandardCharsets.UTF_8);
    assertTrue(logs.contains("[ERROR] java.lang.IllegalStateException: range too large"), logs);
    assertTrue(logs.contains("[ERROR] \tat "), logs);
  }

  @Test
  @DisplayName("names the exception's class when it has no message")
  void exceptionWithoutMessage() {
    Outcome outcome = Pontoon.invoke(Object.class, (input, c) -> { throw new NullPointerException(); }, "null", ctx);
    assertEquals("java.lang.NullPointerException", outcome.error());
  }

  @Test
  @DisplayName("fails on an input that does not fit the input type, without calling the handler")
  void badInput() {
    Outcome outcome = Pontoon.invoke(int[].class, (input, c) -> { throw new AssertionError("called"); }, "{\"a\": 1}", ctx);
    assertFalse(outcome.ok());
    assertTrue(outcome.error().startsWith("input is not valid JSON"), outcome.error());
  }

  @Test
  @DisplayName("fails on a result that cannot be written as JSON")
  void badResult() {
    Outcome outcome = Pontoon.invoke(Object.class, (input, c) -> new Object(), "null", ctx);
    assertFalse(outcome.ok());
    assertTrue(outcome.error().startsWith("result is not JSON-serializable"), outcome.error());
  }

  @Test
  @DisplayName("can be called many times in one process, each call independent")
  void manyCalls() {
    Handler<int[], Object> handler = (input, c) -> {
      if (input[0] < 0) throw new IllegalArgumentException("negative");
      return Primes.between(input[0], input[1]);
    };
    for (int i = 0; i < 50; i++) {
      Outcome outcome = Pontoon.invoke(int[].class, handler, i % 2 == 0 ? "[1, 10]" : "[-1, 10]", ctx);
      assertEquals(i % 2 == 0, outcome.ok());
      assertEquals(i % 2 == 0 ? "[2,3,5,7]" : "negative", i % 2 == 0 ? outcome.output() : outcome.error());
    }
  }
}
