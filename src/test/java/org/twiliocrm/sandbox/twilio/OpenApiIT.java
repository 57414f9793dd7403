package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;

import com.twilio.rest.api.v2010.account.Call;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.rest.verify.v2.service.Verification;
import com.twilio.rest.verify.v2.service.VerificationCheck;
import com.twilio.type.PhoneNumber;
import com.twilio.type.Twiml;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every operation the sandbox serves, with request and response validation on: no response may
 * break Twilio's OpenAPI schema, and bad requests are refused like Twilio refuses them.
 */
class OpenApiIT {
  static final String SERVICE = "VA" + "3".repeat(32);
  static final String MG = "MG" + "3".repeat(32);
  static TwilioSandboxFixture fx;

  @BeforeAll
  static void start() {
    fx =
        new TwilioSandboxFixture(
            Map.of(
                "sandbox.twilio.messaging-services",
                MG,
                "sandbox.twilio.validation.requests",
                "true",
                "sandbox.twilio.validation.responses",
                "true",
                "sandbox.twilio.verify.services",
                SERVICE));
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @Test
  void everyOperationsResponseValidatesAgainstTheResponseSchema() {
    Message m =
        Message.creator(
                new PhoneNumber("+14155550700"), new PhoneNumber(TwilioSandboxFixture.NUMBER), "hi")
            .setStatusCallback(URI.create("http://127.0.0.1:9/none"))
            .create(fx.client);
    Message.creator(
            new PhoneNumber("+14155550700"),
            new PhoneNumber(TwilioSandboxFixture.NUMBER),
            List.of(URI.create("https://example.com/a.jpg")))
        .create(fx.client);
    Message.fetcher(m.getSid()).fetch(fx.client);
    Message.reader()
        .setTo(new PhoneNumber("+14155550700"))
        .limit(5)
        .read(fx.client)
        .forEach(x -> {});
    Message scheduled =
        Message.creator(new PhoneNumber("+14155550701"), MG, "later")
            .setSendAt(ZonedDateTime.now().plusHours(1))
            .setScheduleType(Message.ScheduleType.FIXED)
            .create(fx.client);
    Message.updater(scheduled.getSid()).setStatus(Message.UpdateStatus.CANCELED).update(fx.client);

    Call c =
        Call.creator(
                new PhoneNumber("+14155550702"),
                new PhoneNumber(TwilioSandboxFixture.NUMBER),
                new Twiml("<Response><Pause length=\"5\"/></Response>"))
            .create(fx.client);
    Call.fetcher(c.getSid()).fetch(fx.client);
    Call.updater(c.getSid()).setStatus(Call.UpdateStatus.COMPLETED).update(fx.client);

    Verification v = Verification.creator(SERVICE, "+14155550703", "sms").create(fx.client);
    Verification.fetcher(SERVICE, v.getSid()).fetch(fx.client);
    VerificationCheck.creator(SERVICE).setTo("+14155550703").setCode("not-it").create(fx.client);
    String code =
        (String) fx.controlList("/sandbox/handsets/+14155550703/inbox").get(0).get("code");
    VerificationCheck.creator(SERVICE)
        .setVerificationSid(v.getSid())
        .setCode(code)
        .create(fx.client);
    Verification v2 = Verification.creator(SERVICE, "+14155550704", "call").create(fx.client);
    Verification.updater(SERVICE, v2.getSid(), Verification.Status.CANCELED).update(fx.client);

    Map<String, Object> validation = fx.controlMap("GET", "/sandbox/validation", null);
    assertThat(validation.get("responses")).isEqualTo(true);
    assertThat((List<?>) validation.get("responseViolations")).isEmpty();
    // 13 operations ran; make sure they all reached the sandbox as Twilio API requests.
    Map<String, Object> counts = fx.controlMap("GET", "/sandbox/requests", null);
    assertThat(counts.keySet())
        .anyMatch(k -> k.startsWith("POST /v2/Services/" + SERVICE + "/VerificationCheck"));
    assertThat(counts.keySet())
        .anyMatch(
            k ->
                k.startsWith(
                    "GET /2010-04-01/Accounts/" + TwilioSandboxFixture.ACCOUNT + "/Calls/"));
  }

  @ParameterizedTest(name = "lazy={0}")
  @ValueSource(booleans = {false, true})
  void requestsArrivingWhileTheOpenApiLoadsWaitForItAndAreStillChecked(boolean lazy)
      throws Exception {
    // A spec directory no other test used: this sandbox's validator is certainly still loading
    // (about a second of CPU), or with lazy=true not even started, when the requests arrive.
    Path dir = Files.createTempDirectory("openapi");
    for (String f :
        List.of(SpecValidator.API_FILE, SpecValidator.VERIFY_FILE, SpecValidator.MESSAGING_FILE)) {
      Files.writeString(dir.resolve(f), SpecValidator.load(null, f));
    }
    try (TwilioSandboxFixture fresh =
        new TwilioSandboxFixture(
            Map.of(
                "sandbox.twilio.validation.requests",
                "true",
                "sandbox.twilio.openapi-dir",
                dir.toString()),
            lazy)) {
      HttpResponse<String> unknown =
          rawPost(fresh, "To=%2B14155550707&From=%2B15005550006&Body=x&NoSuchParam=1");
      HttpResponse<String> ok = rawPost(fresh, "To=%2B14155550707&From=%2B15005550006&Body=x");
      assertThat(unknown.statusCode()).isEqualTo(400);
      assertThat(unknown.body()).contains("\"code\":20001").contains("NoSuchParam");
      assertThat(ok.statusCode()).isEqualTo(201);
    }
  }

  private static HttpResponse<String> rawPost(String form) throws Exception {
    return rawPost(fx, form);
  }

  private static HttpResponse<String> rawPost(TwilioSandboxFixture fx, String form) {
    return fx.api(
        "POST", "/2010-04-01/Accounts/" + TwilioSandboxFixture.ACCOUNT + "/Messages.json", form);
  }

  @Test
  void curlStyleRequestsAreCheckedLikeTwilioDoes() throws Exception {
    // As in Twilio's docs with curl --data-urlencode: accepted, '+' and a raw '=' intact.
    HttpResponse<String> ok = rawPost("To=%2B14155550705&From=%2B15005550006&Body=a=b");
    assertThat(ok.statusCode()).isEqualTo(201);
    assertThat(ok.body()).contains("\"body\":\"a=b\"").contains("\"to\":\"+14155550705\"");

    HttpResponse<String> unknown =
        rawPost("To=%2B14155550705&From=%2B15005550006&Body=x&NoSuchParam=1");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("\"code\":20001").contains("NoSuchParam");

    HttpResponse<String> badEnum =
        rawPost("To=%2B14155550705&From=%2B15005550006&Body=x&ScheduleType=sometimes");
    assertThat(badEnum.statusCode()).isEqualTo(400);

    HttpResponse<String> noTo = rawPost("From=%2B15005550006&Body=x");
    assertThat(noTo.statusCode()).isEqualTo(400);
  }

  @Test
  void validationCanBeSwitchedAtRunTime() throws Exception {
    String unknownParam = "To=%2B14155550706&From=%2B15005550006&Body=x&NoSuchParam=1";
    fx.control("PUT", "/sandbox/validation", Map.of("requests", false));
    try {
      assertThat(rawPost(unknownParam).statusCode()).isEqualTo(201);
    } finally {
      fx.control("PUT", "/sandbox/validation", Map.of("requests", true));
    }
    assertThat(rawPost(unknownParam).statusCode()).isEqualTo(400);
  }
}
