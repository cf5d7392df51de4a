package dev.pontoon.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Json: plain values skip jackson-databind and come out exactly as databind makes them")
class JsonTest {
  private final ObjectMapper databind = new ObjectMapper();

  @Test
  @DisplayName("an untyped input is parsed into the same maps, lists and number types as databind's")
  void plainInputMatchesDatabind() throws Exception {
    String[] inputs = {
      "null", "true", "false", "0", "-7", "2147483647", "2147483648", "9223372036854775808", "1.5", "-2e-3", "1E400",
      "\"text \\u00e9 \\\"quoted\\\"\"", "[]", "{}", "[1, [2, [3, {\"a\": null}]]]",
      "{\"b\": 1, \"a\": [true, \"x\", 2.0], \"b\": 3}", "{\"nested\": {\"deep\": {\"k\": [1, 2.5, \"s\"]}}}", "1 2", "  [1]  ",
    };
    for (String input : inputs) {
      Object expected = databind.readValue(input, Object.class);
      Object actual = Json.parse(input, Json.type(Object.class));
      assertEquals(expected, actual, input);
      assertEquals(describe(expected), describe(actual), input);
    }
  }

  @Test
  @DisplayName("invalid JSON fails with the parser's message either way")
  void invalidInput() {
    PontoonException plain = assertThrows(PontoonException.class, () -> Json.parse("{\"a\": ", Json.type(Object.class)));
    assertEquals(true, plain.getMessage().startsWith("input is not valid JSON for java.lang.Object: "), plain.getMessage());
  }

  record Point(int x, int y) {}

  @Test
  @DisplayName("a result is written exactly as databind writes it, whether plain or not")
  void resultsMatchDatabind() throws Exception {
    Map<String, Object> ordered = new LinkedHashMap<>();
    ordered.put("z", 1);
    ordered.put("a", null);
    ordered.put("list", new ArrayList<>(List.of(1L, 2.5d, 3.25f, (short) 4, (byte) 5, "é\n\"", true)));
    ordered.put("big", List.of(new BigInteger("123456789012345678901234567890"), new BigDecimal("1.10"), new BigDecimal("1E+3")));
    ordered.put("special", List.of(Double.NaN, Double.POSITIVE_INFINITY, -0.0d, 1e300));
    Object[] results = {
      null, "s", 1, -1L, 1.0d, 0.1f, true, List.of(), Map.of(), ordered, new TreeMap<>(Map.of(1, "int key")),
      Set.of("a set"), new Point(1, 2), List.of(new Point(3, 4)), Map.of("p", new Point(5, 6)), new int[] {1, 2},
    };
    for (Object result : results) {
      assertEquals(databind.writeValueAsString(result), Json.stringify(result), String.valueOf(result));
    }
  }

  private static String describe(Object value) {
    if (value instanceof Map<?, ?> map) {
      StringBuilder text = new StringBuilder(map.getClass().getName()).append('{');
      map.forEach((k, v) -> text.append(k).append('=').append(describe(v)).append(','));
      return text.append('}').toString();
    }
    if (value instanceof List<?> list) {
      StringBuilder text = new StringBuilder(list.getClass().getName()).append('[');
      list.forEach(v -> text.append(describe(v)).append(','));
      return text.append(']').toString();
    }
    return value == null ? "null" : value.getClass().getName() + ":" + value;
  }
}
