package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.report.ValidationReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAPI checks and the two workarounds, with no server. */
class SpecValidatorTest {
  static SpecValidator validator;
  static final String PATH =
      "/2010-04-01/Accounts/" + TwilioSandboxSettings.DEFAULT_ACCOUNT_SID + "/Messages.json";

  @BeforeAll
  static void load() {
    validator = new SpecValidator("");
  }

  private static List<String> request(Map<String, List<String>> form) {
    return validator.validateRequest(
        SpecValidator.Spec.API,
        SpecValidator.request(
            "POST", PATH, "application/x-www-form-urlencoded", form, Map.of(), "Basic eDp5"));
  }

  @Test
  void phoneNumbersAndRawEqualsSignsPass() {
    assertThat(
            request(
                Map.of(
                    "To",
                    List.of("+15558675310"),
                    "From",
                    List.of("+15005550006"),
                    "Body",
                    List.of("a=b&c"))))
        .isEmpty();
  }

  @Test
  void unknownParametersAndMissingAuthFail() {
    assertThat(request(Map.of("To", List.of("+15558675310"), "Bogus", List.of("1")))).isNotEmpty();
    assertThat(
            validator.validateRequest(
                SpecValidator.Spec.API,
                SpecValidator.request(
                    "POST",
                    PATH,
                    "application/x-www-form-urlencoded",
                    Map.of("To", List.of("+1555")),
                    Map.of(),
                    null)))
        .isNotEmpty();
  }

  @Test
  void aBrokenMessageResponseIsCaught() {
    SandboxMessage m =
        new SandboxMessage(
            "SM" + "a".repeat(32),
            TwilioSandboxSettings.DEFAULT_ACCOUNT_SID,
            "+15005550006",
            "+15558675310",
            "hi",
            List.of(),
            null,
            null,
            "outbound-api",
            null,
            null,
            "queued");
    assertThat(
            validator.validateResponse(
                SpecValidator.Spec.API, "POST", PATH, 201, Wire.json(m.toJson())))
        .isEmpty();
    Map<String, Object> broken = m.toJson();
    broken.put("sid", "XX123");
    broken.put("status", "teleported");
    assertThat(
            validator.validateResponse(
                SpecValidator.Spec.API, "POST", PATH, 201, Wire.json(broken)))
        .hasSizeGreaterThanOrEqualTo(2);
  }

  // --- The assembled validator gives the library's own verdicts, more cheaply ---

  static final String ACCOUNT = TwilioSandboxSettings.DEFAULT_ACCOUNT_SID;
  static final String API = "/2010-04-01/Accounts/" + ACCOUNT;
  static final String FORM = "application/x-www-form-urlencoded";
  static final String SM = "SM" + "a".repeat(32);
  static final String CA = "CA" + "b".repeat(32);
  static final String VA = "VA" + "3".repeat(32);
  static final String MG = "MG" + "3".repeat(32);

  private record Case(
      SpecValidator.Spec spec,
      String method,
      String path,
      String contentType,
      Map<String, List<String>> form,
      Map<String, List<String>> query,
      String authorization) {}

  private static Case api(String method, String path, Map<String, List<String>> form) {
    return new Case(SpecValidator.Spec.API, method, path, FORM, form, Map.of(), "Basic eDp5");
  }

  private static Map<String, List<String>> form(String... kv) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.computeIfAbsent(kv[i], k -> new ArrayList<>()).add(kv[i + 1]);
    }
    return m;
  }

  /** Valid and invalid requests of every kind the sandbox serves, and some it does not. */
  private static List<Case> corpus() {
    Map<String, List<String>> message =
        form("To", "+15558675310", "From", "+15005550006", "Body", "hello 42");
    List<Case> c = new ArrayList<>();
    c.add(api("POST", API + "/Messages.json", message));
    c.add(
        api(
            "POST",
            API + "/Messages.json",
            form(
                "To",
                "+15558675310",
                "From",
                "+15005550006",
                "Body",
                "x",
                "StatusCallback",
                "http://127.0.0.1:8080/webhooks/twilio/status")));
    c.add(api("POST", API + "/Messages.json", form("To", "+1555", "Body", "a=b&c")));
    c.add(api("POST", API + "/Messages.json", form("From", "+15005550006", "Body", "x")));
    c.add(
        api(
            "POST",
            API + "/Messages.json",
            form("To", "+15558675310", "From", "+15005550006", "Body", "x", "NoSuchParam", "1")));
    c.add(
        api(
            "POST",
            API + "/Messages.json",
            form(
                "To",
                "+15558675310",
                "MessagingServiceSid",
                MG,
                "Body",
                "x",
                "ScheduleType",
                "sometimes",
                "SendAt",
                "2026-11-27T02:22:18")));
    c.add(
        api(
            "POST",
            API + "/Messages.json",
            form(
                "To",
                "+15558675310",
                "From",
                "+15005550006",
                "MediaUrl",
                "https://example.com/a.jpg",
                "MediaUrl",
                "https://example.com/b.jpg",
                "ValidityPeriod",
                "abc",
                "StatusCallback",
                "",
                "Attempt",
                "true",
                "MaxPrice",
                "1.5",
                "SmartEncoded",
                "maybe")));
    c.add(api("POST", API + "/Messages.json", Map.of()));
    c.add(
        new Case(
            SpecValidator.Spec.API,
            "POST",
            API + "/Messages.json",
            "text/plain",
            message,
            Map.of(),
            "Basic eDp5"));
    c.add(
        new Case(
            SpecValidator.Spec.API, "POST", API + "/Messages.json", FORM, message, Map.of(), null));
    c.add(api("GET", API + "/Messages/" + SM + ".json", Map.of()));
    c.add(api("GET", API + "/Messages/XX123.json", Map.of()));
    c.add(api("POST", API + "/Messages/" + SM + ".json", form("Status", "canceled")));
    c.add(api("POST", API + "/Messages/" + SM + ".json", form("Status", "teleported")));
    c.add(api("DELETE", API + "/Messages/" + SM + ".json", Map.of()));
    c.add(api("PUT", API + "/Messages.json", message));
    c.add(api("PATCH", API + "/Messages/" + SM + ".json", Map.of()));
    c.add(api("GET", API.toLowerCase() + "/messages.json", Map.of()));
    c.add(api("POST", API + "/Messages.json/", message));
    c.add(api("POST", "//2010-04-01//Accounts/" + ACCOUNT + "/Messages.json", message));
    c.add(api("GET", API + "/Messages/" + SM + "/Media.json", Map.of()));
    c.add(api("GET", API + "/Nothing/Here.json", Map.of()));
    c.add(api("GET", "/2010-04-01/Accounts.json", Map.of()));
    c.add(api("GET", "/", Map.of()));
    c.add(
        new Case(
            SpecValidator.Spec.API,
            "GET",
            API + "/Messages.json",
            null,
            Map.of(),
            Map.of("To", List.of("+14155550700"), "PageSize", List.of("abc")),
            "Basic eDp5"));
    c.add(
        new Case(
            SpecValidator.Spec.API,
            "GET",
            API + "/Messages.json",
            null,
            Map.of(),
            Map.of("Bogus", List.of("1")),
            "Basic eDp5"));
    c.add(
        api(
            "POST",
            API + "/Calls.json",
            form(
                "To",
                "+14155550702",
                "From",
                "+15005550006",
                "Twiml",
                "<Response><Pause length=\"5\"/></Response>")));
    c.add(api("POST", API + "/Calls.json", form("To", "+14155550702")));
    c.add(api("GET", API + "/Calls/" + CA + ".json", Map.of()));
    c.add(api("POST", API + "/Calls/" + CA + ".json", form("Status", "completed")));
    c.add(api("GET", API + "/IncomingPhoneNumbers.json", Map.of()));
    for (SpecValidator.Spec spec :
        List.of(SpecValidator.Spec.VERIFY, SpecValidator.Spec.MESSAGING)) {
      for (String[] r :
          new String[][] {
            {"POST", "/v2/Services/" + VA + "/Verifications", "To=+14155550703&Channel=sms"},
            {"POST", "/v2/Services/" + VA + "/Verifications", "To=+14155550703&Channel=pigeon"},
            {"POST", "/v2/Services/" + VA + "/VerificationCheck", "To=+14155550703&Code=1234"},
            {"GET", "/v2/Services/" + VA + "/Verifications/VE" + "1".repeat(32), ""},
            {"POST", "/v2/Services/" + VA + "/Verifications/VE" + "1".repeat(32), "Status=x"},
            {"GET", "/v1/Services/" + MG, ""},
            {"GET", "/v1/Services", ""},
            {"POST", "/v1/Services/" + MG + "/PhoneNumbers", "PhoneNumberSid=PN" + "2".repeat(32)},
            {"POST", "/v1/Services/" + MG + "/PhoneNumbers", "Bogus=1"},
            {"GET", "/v9/Nothing", ""}
          }) {
        Map<String, List<String>> f = new LinkedHashMap<>();
        for (String kv : r[2].isEmpty() ? new String[0] : r[2].split("&")) {
          String[] p = kv.split("=", 2);
          f.computeIfAbsent(p[0], k -> new ArrayList<>()).add(p[1]);
        }
        c.add(new Case(spec, r[0], r[1], f.isEmpty() ? null : FORM, f, Map.of(), "Basic eDp5"));
      }
    }
    return c;
  }

  private static List<String> all(ValidationReport report) {
    List<String> out = new ArrayList<>();
    for (ValidationReport.Message m : report.getMessages()) {
      out.add(m.getLevel() + " " + m.getKey() + ": " + m.getMessage());
    }
    return out;
  }

  @Test
  void everyMessageIsTheLibrarysOwn() {
    Map<SpecValidator.Spec, OpenApiInteractionValidator> library =
        new EnumMap<>(SpecValidator.Spec.class);
    for (SpecValidator.Spec spec : SpecValidator.Spec.values()) {
      // As SpecValidator built it before it assembled the parts itself.
      library.put(
          spec,
          OpenApiInteractionValidator.createForInlineApiSpecification(
                  SpecValidator.load(null, spec.file))
              .build());
    }
    int errors = 0;
    for (Case c : corpus()) {
      Request request =
          SpecValidator.request(
              c.method(), c.path(), c.contentType(), c.form(), c.query(), c.authorization());
      List<String> expected = all(library.get(c.spec()).validateRequest(request));
      assertThat(all(validator.requestReport(c.spec(), request)))
          .as("%s %s %s", c.method(), c.path(), c.form())
          .isEqualTo(expected);
      errors += expected.isEmpty() ? 0 : 1;
    }
    assertThat(errors).as("the corpus has invalid requests").isGreaterThan(20);

    SandboxMessage m =
        new SandboxMessage(
            SM,
            ACCOUNT,
            "+15005550006",
            "+15558675310",
            "hi",
            List.of(),
            null,
            null,
            "outbound-api",
            null,
            null,
            "queued");
    Map<String, Object> broken = m.toJson();
    broken.put("sid", "XX123");
    broken.put("status", "teleported");
    for (Map<String, Object> body : List.of(m.toJson(), broken)) {
      for (String[] r :
          new String[][] {
            {"POST", API + "/Messages.json"},
            {"GET", API + "/Messages/" + SM + ".json"},
            {"PUT", API + "/Messages.json"},
            {"GET", API + "/Nothing.json"}
          }) {
        var response = SpecValidator.response(201, Wire.json(body));
        assertThat(all(validator.responseReport(SpecValidator.Spec.API, r[0], r[1], response)))
            .isEqualTo(
                all(
                    library
                        .get(SpecValidator.Spec.API)
                        .validateResponse(r[1], Request.Method.valueOf(r[0]), response)));
      }
    }
  }

  @Test
  void aRequestIsMatchedAgainstThePathsWhoseLiteralSegmentsItHas() {
    assertThat(validator.candidatePaths(SpecValidator.Spec.API, PATH))
        .containsExactly("/2010-04-01/Accounts/{AccountSid}/Messages.json");
    assertThat(validator.candidatePaths(SpecValidator.Spec.API, API + "/Messages/" + SM + ".json"))
        .contains("/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json")
        .hasSizeLessThan(4);
    assertThat(validator.candidatePaths(SpecValidator.Spec.API, API + "/Nothing/Here.json"))
        .isEmpty();
  }

  @Test
  void aValidMessageRequestThrowsNoMessageBundleExceptions() throws Exception {
    Map<String, List<String>> message =
        form(
            "To",
            "+15558675310",
            "From",
            "+15005550006",
            "Body",
            "hello",
            "StatusCallback",
            "http://127.0.0.1:8080/webhooks/twilio/status");
    for (int i = 0; i < 20; i++) {
      assertThat(request(message)).isEmpty();
    }
    Path file = Files.createTempFile("spec-validator", ".jfr");
    Map<String, Integer> thrown = new LinkedHashMap<>();
    try (Recording r = new Recording()) {
      r.enable("jdk.JavaExceptionThrow").withStackTrace();
      r.start();
      for (int i = 0; i < 50; i++) {
        request(message);
      }
      r.stop();
      r.dump(file);
      long me = Thread.currentThread().getId();
      for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
        if (e.getThread() != null && e.getThread().getJavaThreadId() == me) {
          thrown.merge(e.getClass("thrownClass").getName(), 1, Integer::sum);
        }
      }
    } finally {
      Files.deleteIfExists(file);
    }
    // msg-simple's per-locale lookups threw 8 ExecutionExceptions per request. Left: the
    // library's form parser tries Long and Double on each text value (NumberFormatException),
    // and fge formats the type reports of phone numbers it took for integers.
    assertThat(thrown).doesNotContainKey("java.util.concurrent.ExecutionException");
    assertThat(thrown.values().stream().mapToInt(Integer::intValue).sum())
        .isLessThanOrEqualTo(6 * 50);
  }
}
