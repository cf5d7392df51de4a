package dev.pontoon.sdk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Type;

/** The one JSON mapper of the SDK; everything that crosses the contract goes through it. */
final class Json {
  // Lenient on unknown fields so that an input can grow a field without breaking older functions,
  // as Go's encoding/json and Python's dicts already behave.
  private static final ObjectMapper MAPPER =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private Json() {}

  /** The Jackson type for a reflective type (a class, or a parameterized type). */
  static JavaType type(Type type) {
    return MAPPER.getTypeFactory().constructType(type);
  }

  /** The Jackson type for a type reference such as {@code new TypeReference<List<Integer>>() {}}. */
  static JavaType type(TypeReference<?> type) {
    return MAPPER.getTypeFactory().constructType(type);
  }

  /** Parses JSON text into the given type; an empty text is JSON null. */
  static <T> T parse(String text, JavaType type) {
    if (text.isBlank()) return null;
    try {
      return MAPPER.readValue(text, type);
    } catch (JsonProcessingException e) {
      throw new PontoonException("input is not valid JSON for " + type.getTypeName() + ": " + e.getOriginalMessage(), e);
    }
  }

  /** Serializes a result to JSON text; null becomes {@code null}. */
  static String stringify(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new PontoonException("result is not JSON-serializable: " + e.getOriginalMessage(), e);
    }
  }
}
