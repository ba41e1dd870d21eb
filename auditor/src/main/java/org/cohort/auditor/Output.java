package org.cohort.auditor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import picocli.CommandLine;

/** Formatting shared by the subcommands: full-precision numbers, one JSON object per line. */
final class Output {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Output() {}

  /** Shortest decimal that round-trips to the same double (auditors compare digits). */
  static String number(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15
        ? Long.toString((long) value)
        : Double.toString(value);
  }

  static void json(CommandLine.Model.CommandSpec spec, Map<String, Object> fields) {
    try {
      spec.commandLine().getOut().println(JSON.writeValueAsString(fields));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise output", e);
    }
  }
}
