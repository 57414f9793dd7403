package org.twiliocrm.sandbox.twilio;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.interaction.request.RequestValidator;
import com.atlassian.oai.validator.interaction.response.ResponseValidator;
import com.atlassian.oai.validator.model.ApiOperationMatch;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.MessageResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.schema.SchemaValidator;
import com.atlassian.oai.validator.schema.SwaggerV20Library;
import com.atlassian.oai.validator.util.OpenApiLoader;
import com.github.fge.jsonschema.cfg.ValidationConfiguration;
import com.github.fge.jsonschema.core.report.ListReportProvider;
import com.github.fge.jsonschema.core.report.LogLevel;
import com.github.fge.jsonschema.main.JsonSchemaFactory;
import com.github.fge.msgsimple.bundle.MessageBundle;
import com.github.fge.msgsimple.source.PropertiesMessageSource;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.parser.core.models.ParseOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 *
 * <p>The validator's parts are assembled here rather than by {@code
 * OpenApiInteractionValidator.build()}, with the same parsed OpenAPI, the same default levels and
 * the same schema library, so that its verdicts are unchanged (SpecValidatorTest compares them with
 * a validator built the library's way) while two of its costs go:
 *
 * <ul>
 *   <li>{@link OperationRouter} hands the library's path matcher only the paths whose literal
 *       segments match the request, instead of every path with as many segments (the 2010 spec has
 *       up to 38), each matched with a regular expression compiled per request.
 *   <li>The schema messages come from the same {@code .properties} files, read once, instead of
 *       msg-simple bundles that look for a file per locale ({@code validation_en.properties}): none
 *       exists, and each failed lookup is an {@code ExecutionException}, two per message formatted,
 *       eight per {@code Messages.json} request.
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

  private final java.util.EnumMap<Spec, Api> specs = new java.util.EnumMap<>(Spec.class);

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
    JsonSchemaFactory factory = schemaFactory();
    for (Spec spec : Spec.values()) {
      specs.put(spec, new Api(parse(load(dir, spec.file)), factory));
    }
    LOG.info("Twilio OpenAPI loaded in {} ms", (System.nanoTime() - t0) / 1_000_000);
  }

  /** One spec's checks: what {@code OpenApiInteractionValidator} holds, with a routed matcher. */
  private static final class Api {
    final MessageResolver messages = new MessageResolver(LevelResolver.defaultResolver());
    final OperationRouter router;
    final RequestValidator requests;
    final ResponseValidator responses;

    Api(OpenAPI api, JsonSchemaFactory factory) {
      SchemaValidator schemas =
          new SchemaValidator(
              api,
              messages,
              () -> factory,
              new com.atlassian.oai.validator.schema.ValidationConfiguration());
      router = new OperationRouter(api);
      requests = new RequestValidator(schemas, messages, api, List.of());
      responses = new ResponseValidator(schemas, messages, api, List.of());
    }

    /** As {@code OpenApiInteractionValidator.validateOnApiOperation} (no whitelist). */
    ValidationReport validate(
        String path,
        Request.Method method,
        java.util.function.Function<
                com.atlassian.oai.validator.model.ApiOperation, ValidationReport>
            check) {
      ApiOperationMatch match = router.find(path, method);
      if (!match.isPathFound()) {
        return ValidationReport.singleton(messages.get("validation.request.path.missing", path));
      }
      if (!match.isOperationAllowed()) {
        return ValidationReport.singleton(
            messages.get("validation.request.operation.notAllowed", method, path));
      }
      return check.apply(match.getApiOperation());
    }
  }

  /** Parses a spec as {@code OpenApiInteractionValidator.Builder} does by default. */
  static OpenAPI parse(String spec) {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    options.setResolveFully(true);
    options.setResolveCombinators(false);
    return new OpenApiLoader()
        .loadApi(OpenApiInteractionValidator.SpecSource.inline(spec), List.of(), options);
  }

  private static final String SYNTAX_MESSAGES = "/com/github/fge/jsonschema/core/syntax";
  private static final String VALIDATION_MESSAGES =
      "/com/github/fge/jsonschema/validator/validation";
  private static final String SWAGGER_MESSAGES = "/swagger/validation/schema-validation";

  /**
   * The schema factory of {@code SwaggerV20Library.schemaFactory()}, with its message bundles made
   * of the same files read once for {@link Locale#ROOT}. The library's bundles ask for a file per
   * locale first ({@code syntax_en.properties}); none is shipped, so they answer from the root file
   * as these do, after an exception per bundle and message. If such a file is on the class path for
   * the default locale, the library's own factory is used, so its messages stay the same.
   */
  static JsonSchemaFactory schemaFactory() {
    for (Locale l :
        com.github.fge.msgsimple.locale.LocaleUtils.getApplicable(Locale.getDefault())) {
      if (l.equals(Locale.ROOT)) {
        continue;
      }
      for (String path : List.of(SYNTAX_MESSAGES, VALIDATION_MESSAGES, SWAGGER_MESSAGES)) {
        if (SpecValidator.class.getResource(path + "_" + l + ".properties") != null) {
          return SwaggerV20Library.schemaFactory();
        }
      }
    }
    try {
      return JsonSchemaFactory.newBuilder()
          .setValidationConfiguration(
              ValidationConfiguration.newBuilder()
                  .setDefaultLibrary(
                      SwaggerV20Library.OAI_V2_METASCHEMA_URI, SwaggerV20Library.get())
                  .setSyntaxMessages(rootBundle(SYNTAX_MESSAGES, SWAGGER_MESSAGES))
                  .setValidationMessages(rootBundle(VALIDATION_MESSAGES, SWAGGER_MESSAGES))
                  .freeze())
          .setReportProvider(new ListReportProvider(LogLevel.ERROR, LogLevel.FATAL))
          .freeze();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The library's bundle order: fge's messages first, then the validator's own. */
  private static MessageBundle rootBundle(String fge, String swagger) throws IOException {
    var b = MessageBundle.newBuilder();
    if (fge != null) {
      b.appendSource(Locale.ROOT, PropertiesMessageSource.fromResource(fge + ".properties"));
    }
    b.appendSource(Locale.ROOT, PropertiesMessageSource.fromResource(swagger + ".properties"));
    return b.freeze();
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

  /** The problems of a request (built by {@link #request}) against the spec; empty if none. */
  List<String> validateRequest(Spec spec, Request request) {
    return messages(requestReport(spec, request));
  }

  /** The request as the validator sees it. */
  static Request request(
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
    return b.build();
  }

  /** Every message about the request, before {@link #messages} drops the known false ones. */
  ValidationReport requestReport(Spec spec, Request request) {
    Api api = specs.get(spec);
    return api.validate(
        request.getPath(), request.getMethod(), op -> api.requests.validateRequest(request, op));
  }

  /** The paths of the spec that a request to this path is matched against. */
  List<String> candidatePaths(Spec spec, String path) {
    return specs.get(spec).router.candidates(path);
  }

  List<String> validateResponse(Spec spec, String method, String path, int status, byte[] json) {
    return messages(responseReport(spec, method, path, response(status, json)));
  }

  static SimpleResponse response(int status, byte[] json) {
    return SimpleResponse.Builder.status(status)
        .withContentType("application/json")
        .withBody(new String(json, StandardCharsets.UTF_8))
        .build();
  }

  ValidationReport responseReport(Spec spec, String method, String path, SimpleResponse response) {
    Api api = specs.get(spec);
    return api.validate(
        path, Request.Method.valueOf(method), op -> api.responses.validateResponse(response, op));
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
