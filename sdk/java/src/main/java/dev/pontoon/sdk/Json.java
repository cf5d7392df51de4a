package dev.pontoon.sdk;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SDK's JSON, all of it Jackson. Plain JSON values (an untyped input; a result made of maps with
 * string keys, lists, strings, numbers, booleans and null) go through jackson-core's streaming
 * parser and generator; anything typed goes through jackson-databind's ObjectMapper, created on
 * first use. Why: creating the ObjectMapper is most of a Java handler's cold start. Measured on the
 * 2-core dev VM: new ObjectMapper() + first read 220 ms (78 ms with a CDS archive), jackson-core
 * alone 45 ms (7 ms with the archive). The plain values built here are the ones databind's untyped
 * deserializer builds (LinkedHashMap, ArrayList, Integer/Long/BigInteger, Double), and both paths
 * write through the same generator, so a function cannot tell which path ran.
 */
final class Json {
  private Json() {}

  /**
   * The streaming factory, with ObjectMapper's defaults (it uses a JsonFactory of its own), created
   * on first use: a function invoked without input that returns nothing (a cron job's usual shape)
   * never needs it, and creating it and a first parser is ~8 ms of a cold JVM.
   */
  private static final class Streaming {
    static final JsonFactory FACTORY = new JsonFactory();
  }

  /** The streaming factory, for the replica protocol's bodies (Replica reads and writes them streaming). */
  static JsonFactory factory() {
    return Streaming.FACTORY;
  }

  /** Deeper plain values than this go to databind, which has its own nesting limits and messages. */
  private static final int PLAIN_DEPTH = 500;

  /** The ObjectMapper, created when a typed value first needs it (the holder idiom makes it lazy). */
  private static final class Databind {
    // Lenient on unknown fields so that an input can grow a field without breaking older
    // functions, as Go's encoding/json and Python's dicts already behave.
    static final ObjectMapper MAPPER =
        new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  }

  /** A target type for input: a reflective type, resolved to a Jackson type only when it is not Object. */
  static final class Target {
    private final Type type;
    private JavaType javaType;

    private Target(Type type) {
      this.type = type;
    }

    /** True for Object: the input is plain parsed JSON and databind is not needed. */
    boolean plain() {
      return type == Object.class;
    }

    JavaType javaType() {
      if (javaType == null) javaType = Databind.MAPPER.getTypeFactory().constructType(type);
      return javaType;
    }

    String name() {
      return type.getTypeName();
    }
  }

  /** The target for a reflective type (a class, or a parameterized type). */
  static Target type(Type type) {
    return new Target(type);
  }

  /** The target for a type reference such as {@code new TypeReference<List<Integer>>() {}}. */
  static Target type(TypeReference<?> type) {
    return new Target(type.getType());
  }

  /** Parses JSON text into the given type; an empty text is JSON null. */
  @SuppressWarnings("unchecked")
  static <T> T parse(String text, Target type) {
    if (text.isBlank()) return null;
    try {
      if (type.plain()) return text.strip().equals("null") ? null : (T) parsePlain(text);
      return Databind.MAPPER.readValue(text, type.javaType());
    } catch (JsonProcessingException e) {
      throw new PontoonException("input is not valid JSON for " + type.name() + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new PontoonException("input is not valid JSON for " + type.name() + ": " + e.getMessage(), e);
    }
  }

  /** Serializes a result to JSON text; null becomes {@code null}. */
  static String stringify(Object value) {
    if (value == null) return "null";
    try {
      if (isPlain(value, 0)) {
        StringWriter text = new StringWriter();
        try (JsonGenerator generator = Streaming.FACTORY.createGenerator(text)) {
          writePlain(generator, value);
        }
        return text.toString();
      }
      return Databind.MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new PontoonException("result is not JSON-serializable: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new PontoonException("result is not JSON-serializable: " + e.getMessage(), e);
    }
  }

  // Like ObjectMapper.readValue(text, Object.class) with default features: the first value only
  // (trailing content is not read), objects as LinkedHashMap (a repeated key keeps its last value),
  // arrays as ArrayList, integers as the smallest of Integer, Long and BigInteger, decimals as Double.
  private static Object parsePlain(String text) throws IOException {
    try (JsonParser parser = Streaming.FACTORY.createParser(text)) {
      JsonToken token = parser.nextToken();
      if (token == null) throw new PontoonException("input is not valid JSON for java.lang.Object: no content");
      return readValue(parser, token, 0);
    }
  }

  private static Object readValue(JsonParser parser, JsonToken token, int depth) throws IOException {
    switch (token) {
      case START_OBJECT: {
        Map<String, Object> object = new LinkedHashMap<>();
        for (JsonToken next = parser.nextToken(); next != JsonToken.END_OBJECT; next = parser.nextToken()) {
          String key = parser.currentName();
          object.put(key, readValue(parser, parser.nextToken(), depth + 1));
        }
        return object;
      }
      case START_ARRAY: {
        List<Object> array = new ArrayList<>();
        for (JsonToken next = parser.nextToken(); next != JsonToken.END_ARRAY; next = parser.nextToken()) {
          array.add(readValue(parser, next, depth + 1));
        }
        return array;
      }
      case VALUE_STRING:
        return parser.getText();
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return parser.getNumberValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new PontoonException("input is not valid JSON for java.lang.Object: unexpected " + token);
    }
  }

  /** True when databind would write the value exactly as {@link #writePlain} does. */
  private static boolean isPlain(Object value, int depth) {
    if (depth > PLAIN_DEPTH) return false;
    if (value == null || value instanceof String || value instanceof Boolean) return true;
    if (value instanceof Integer || value instanceof Long || value instanceof Double) return true;
    if (value instanceof Short || value instanceof Byte || value instanceof Float) return true;
    if (value instanceof BigInteger || value instanceof BigDecimal) return true;
    if (value instanceof List<?> list) {
      for (Object item : list) if (!isPlain(item, depth + 1)) return false;
      return true;
    }
    // Only maps with string keys: databind has its own rules for other keys (enums, dates).
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (!(entry.getKey() instanceof String) || !isPlain(entry.getValue(), depth + 1)) return false;
      }
      return true;
    }
    return false;
  }

  private static void writePlain(JsonGenerator generator, Object value) throws IOException {
    if (value == null) generator.writeNull();
    else if (value instanceof String s) generator.writeString(s);
    else if (value instanceof Boolean b) generator.writeBoolean(b);
    else if (value instanceof Integer i) generator.writeNumber(i);
    else if (value instanceof Long l) generator.writeNumber(l);
    else if (value instanceof Double d) generator.writeNumber(d);
    else if (value instanceof Float f) generator.writeNumber(f);
    else if (value instanceof Short s) generator.writeNumber(s);
    else if (value instanceof Byte b) generator.writeNumber(b.intValue());
    else if (value instanceof BigInteger n) generator.writeNumber(n);
    else if (value instanceof BigDecimal n) generator.writeNumber(n);
    else if (value instanceof List<?> list) {
      generator.writeStartArray();
      for (Object item : list) writePlain(generator, item);
      generator.writeEndArray();
    } else {
      generator.writeStartObject();
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
        generator.writeFieldName((String) entry.getKey());
        writePlain(generator, entry.getValue());
      }
      generator.writeEndObject();
    }
  }
}
