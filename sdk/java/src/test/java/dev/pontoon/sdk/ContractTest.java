package dev.pontoon.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Contract: the files of the function contract")
class ContractTest {
  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private Contract contract(Map<String, String> env) {
    return new Contract(env, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("reads the input JSON text from the file named by PONTOON_INPUT")
  void readsInput() throws Exception {
    Path input = Files.writeString(dir.resolve("input.json"), "[1, 10]");
    assertEquals("[1, 10]", contract(Map.of(Contract.INPUT, input.toString())).readInputJson());
  }

  @Test
  @DisplayName("treats a program run outside Pontoon (no PONTOON_INPUT) as having a null input")
  void noInputIsNull() {
    assertEquals("null", contract(Map.of()).readInputJson());
  }

  @Test
  @DisplayName("says which file it could not read when the input file is missing")
  void missingInputFile() {
    String path = dir.resolve("absent.json").toString();
    PontoonException e = assertThrows(PontoonException.class, () -> contract(Map.of(Contract.INPUT, path)).readInputJson());
    assertTrue(e.getMessage().contains(path), e.getMessage());
  }

  @Test
  @DisplayName("writes the result to PONTOON_OUTPUT and the failure message to PONTOON_ERROR")
  void writesFiles() throws Exception {
    Path output = dir.resolve("output.json");
    Path error = dir.resolve("error.txt");
    Contract contract = contract(Map.of(Contract.OUTPUT, output.toString(), Contract.ERROR, error.toString()));
    contract.writeOutputJson("[2,3,5]");
    contract.writeError("no primes today");
    assertEquals("[2,3,5]", Files.readString(output));
    assertEquals("no primes today", Files.readString(error));
    assertEquals("", out.toString(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("prints the result to stdout and the failure to stderr outside Pontoon")
  void printsWithoutFiles() {
    Contract contract = contract(Map.of());
    contract.writeOutputJson("42");
    contract.writeError("broken");
    assertEquals("42", out.toString(StandardCharsets.UTF_8).strip());
    assertEquals("broken", err.toString(StandardCharsets.UTF_8).strip());
  }
}
