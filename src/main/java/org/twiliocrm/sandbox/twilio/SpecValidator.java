package org.twiliocrm.sandbox.twilio;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks requests and responses against Twilio's OpenAPI description (2010-04-01, Verify v2 and
 * Messaging v1), with swagger-request-validator. Two of its habits are worked around:
 *
 * <ul>
 *   <li>It guesses the type of form values, so {@code +15558675310} becomes an integer and fails a
 *       {@code string} schema: such "integer/number/boolean where string is allowed" reports are
 *       dropped.
 *   <li>Its form parser cuts a value at a raw {@code =}: the body is re-encoded from the decoded
 *       parameters before it is validated.
 * </ul>
 */
final class SpecValidator {
  private static final Logger LOG = LoggerFactory.getLogger(SpecValidator.class);
  static final String API_FILE = "twilio_api_v2010.json";
  static final String VERIFY_FILE = "twilio_verify_v2.json";
  static final String MESSAGING_FILE = "twilio_messaging_v1.json";

  /** The Twilio APIs the sandbox serves, each with its own OpenAPI file (and host name). */
  enum Spec {
    API(API_FILE),
    VERIFY(VERIFY_FILE),
    MESSAGING(MESSAGING_FILE);

    final String file;

    Spec(String file) {
      this.file = file;
    }
  }

  private final java.util.EnumMap<Spec, OpenApiInteractionValidator> specs =
      new java.util.EnumMap<>(Spec.class);

  private static final java.util.Map<String, SpecValidator> LOADED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * One validator per spec directory and JVM: loading takes seconds and the result is immutable and
   * thread-safe, so sandboxes started by several tests share it.
   */
  static SpecValidator forDir(String dir) {
    return LOADED.computeIfAbsent(dir == null ? "" : dir, SpecValidator::new);
  }

  SpecValidator(String dir) {
    long t0 = System.nanoTime();
    for (Spec spec : Spec.values()) {
      specs.put(
          spec,
          OpenApiInteractionValidator.createForInlineApiSpecification(load(dir, spec.file))
              .build());
    }
    LOG.info("Twilio OpenAPI loaded in {} ms", (System.nanoTime() - t0) / 1_000_000);
  }

  /** Reads a spec from the configured dir, else the copy packaged in the jar. */
  static String load(String dir, String file) {
    try {
      if (dir != null && !dir.isBlank()) {
        Path p = Path.of(dir, file);
        if (!Files.isRegularFile(p)) {
          throw new IllegalArgumentException(
              "sandbox.twilio.openapi-dir: no " + file + " in " + dir);
        }
        return Files.readString(p);
      }
      try (InputStream in =
          SpecValidator.class.getResourceAsStream("/sandbox/twilio/openapi/" + file)) {
        if (in == null) {
          throw new IllegalStateException(
              "Twilio OpenAPI "
                  + file
                  + " is missing from the classpath (a broken build?);"
                  + " set sandbox.twilio.openapi-dir");
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  List<String> validateRequest(
      Spec spec,
      String method,
      String path,
      String contentType,
      Map<String, List<String>> form,
      Map<String, List<String>> query,
      String authorization) {
    SimpleRequest.Builder b = new SimpleRequest.Builder(method, path);
    if (contentType != null) {
      b.withContentType(contentType);
    }
    if (authorization != null) {
      b.withAuthorization(authorization);
    }
    if (form != null && !form.isEmpty()) {
      b.withBody(Wire.encodeForm(form));
    }
    query.forEach(b::withQueryParam);
    ValidationReport report = specs.get(spec).validateRequest(b.build());
    return messages(report);
  }

  List<String> validateResponse(Spec spec, String method, String path, int status, byte[] json) {
    SimpleResponse response =
        SimpleResponse.Builder.status(status)
            .withContentType("application/json")
            .withBody(new String(json, StandardCharsets.UTF_8))
            .build();
    ValidationReport report =
        specs.get(spec).validateResponse(path, Request.Method.valueOf(method), response);
    return messages(report);
  }

  private static List<String> messages(ValidationReport report) {
    List<String> out = new ArrayList<>();
    for (ValidationReport.Message m : report.getMessages()) {
      if (m.getLevel() != ValidationReport.Level.ERROR) {
        continue;
      }
      if (isGuessedType(m) || isOffsetlessDateTime(m) || isEmptyValue(m)) {
        continue;
      }
      out.add(m.getKey() + ": " + m.getMessage());
    }
    return out;
  }

  /**
   * twilio-java writes SendAt as {@code 2026-11-27T02:22:18} (UTC, no offset) and Twilio accepts
   * it; the validator's date-time format wants an offset.
   */
  private static boolean isOffsetlessDateTime(ValidationReport.Message m) {
    return m.getKey().equals("validation.request.body.schema.format.date-time")
        && m.getMessage()
            .matches("(?s).*String \"\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?\".*");
  }

  /**
   * The validator's form parser turns an empty value ({@code StatusCallback=}) into null, which no
   * schema type allows; Twilio accepts empty values (and treats most as "not set").
   */
  private static boolean isEmptyValue(ValidationReport.Message m) {
    return m.getKey().equals("validation.request.body.schema.type")
        && m.getMessage().contains("Instance type (null)");
  }

  /** "+1555..." parsed as a number where the schema wants a string: not a real violation. */
  private static boolean isGuessedType(ValidationReport.Message m) {
    if (!m.getKey().equals("validation.request.body.schema.type")) {
      return false;
    }
    String text = m.getMessage();
    // A repeated form key (MediaUrl, StatusCallbackEvent) sent once is a string to the validator.
    if (text.contains("Instance type (string)") && text.contains("(allowed: [\"array\"])")) {
      return true;
    }
    return text.contains("expected type: string")
        || (text.contains("(integer)") || text.contains("(number)") || text.contains("(boolean)"))
            && text.contains("\"string\"");
  }
}
