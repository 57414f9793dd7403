package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.TestHttp;

/**
 * The {@code senders} command against the Twilio sandbox over HTTP, through the connector's own
 * twilio-java client and {@code twilio.base-url} (live mode, as an operator would point it at
 * Twilio). Requests and responses are checked against Twilio's OpenAPI by the sandbox.
 */
class SendersCommandIT {
  static final String PUBLIC = "https://connector.example.com";
  static final String INBOUND = PUBLIC + "/webhooks/twilio/inbound";
  static final String LONG_CODE = "+14155550142";
  static final String TOLL_FREE = "+18005550100";
  static final String SERVICE = TwilioSandboxSettings.DEFAULT_MESSAGING_SERVICE_SID;
  static TwilioSandbox sandbox;
  static final TestHttp HTTP = new TestHttp();

  @BeforeAll
  static void start() {
    Map<String, String> s = new HashMap<>();
    s.put("sandbox.twilio.port", "0");
    s.put("sandbox.twilio.event-loops", "2");
    s.put("sandbox.twilio.numbers", "+15005550006," + LONG_CODE + "," + TOLL_FREE);
    s.put("sandbox.twilio.inbound-webhook-url", INBOUND);
    s.put("sandbox.twilio.validation.requests", "true");
    s.put("sandbox.twilio.validation.responses", "true");
    sandbox = TwilioSandbox.start(TwilioSandboxSettings.from(s::get));
  }

  @AfterAll
  static void stop() {
    sandbox.close();
  }

  @BeforeEach
  void reset() {
    control("POST", "/sandbox/reset", null);
  }

  record Run(int exit, String out, String err) {}

  static Run senders(String... args) {
    return senders(Map.of(), args);
  }

  static Run senders(Map<String, String> extra, String... args) {
    Map<String, String> c = new HashMap<>();
    c.put("twilio.account-sid", TwilioSandboxSettings.DEFAULT_ACCOUNT_SID);
    c.put("twilio.auth-token", TwilioSandboxSettings.DEFAULT_AUTH_TOKEN);
    c.put("twilio.base-url", sandbox.baseUrl());
    c.put("connector.public-url", PUBLIC);
    // The first request waits for the sandbox's OpenAPI load: tens of seconds on a loaded machine.
    c.put("twilio.response-timeout-millis", "120000");
    // Live mode wants Salesforce credentials configured; this command does not use them.
    c.put("salesforce.client-id", "id");
    c.put("salesforce.client-secret", "secret");
    c.put("salesforce.username", "user");
    c.put("salesforce.password", "password");
    c.putAll(extra);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        SendersCommand.run(
            ConfigSource.of(c),
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Object control(String method, String path, Object body) {
    HttpResponse<String> r =
        HTTP.send(
            method, sandbox.baseUrl() + path, null, body == null ? null : TestHttp.json(body));
    assertThat(r.statusCode()).as(r.body()).isLessThan(400);
    return TestHttp.parse(r);
  }

  /**
   * With twilio.region/twilio.edge the command calls the sandbox's regional host with the region's
   * token, shows the region in the REGION column and expects callback URLs that name it.
   */
  @Test
  void theTableShowsTheRegionTheTrafficGoesThrough() {
    Map<String, String> ie1 =
        Map.of(
            "twilio.region", "ie1",
            "twilio.edge", "dublin",
            "twilio.region-auth-tokens", "ie1:sandbox-ie1-auth-token");
    Run run = senders(ie1, "--apply");
    assertThat(run.err()).as(run.out()).isEmpty();
    assertThat(run.out())
        .contains("region ie1 (edge dublin)")
        .contains("inbound webhook expected:  " + INBOUND + "?region=ie1")
        .contains("REGION");
    String row = run.out().lines().filter(l -> l.startsWith(LONG_CODE)).findFirst().orElseThrow();
    assertThat(row).endsWith("ie1 (edge dublin)");
    assertThat(senders(ie1).exit()).as("clean after --apply").isEqualTo(0);

    // At the regional host the us1 token is refused, as at Twilio.
    Run usToken = senders(Map.of("twilio.region", "ie1", "twilio.edge", "dublin"));
    assertThat(usToken.exit()).isEqualTo(1);
    assertThat(usToken.err()).contains("Authentication");
  }

  @Test
  void aWrongWebhookIsShownFixedByApplyAndASecondRunIsClean() {
    control(
        "PUT", "/sandbox/numbers/" + LONG_CODE, Map.of("smsUrl", "https://old.example.com/sms"));

    Run first = senders();
    System.out.println(first.out()); // the README's example
    assertThat(first.err()).isEmpty();
    assertThat(first.exit()).as(first.out() + first.err()).isEqualTo(1);
    assertThat(first.out())
        .contains("inbound webhook expected:  " + INBOUND)
        .contains(LONG_CODE + " inbound webhook: SmsUrl is 'https://old.example.com/sms'")
        .contains("fix: set 'A message comes in' to " + INBOUND)
        .contains(SERVICE + " status callback: StatusCallback is ''")
        .contains("toll-free")
        .contains("TWILIO_APPROVED")
        .contains("VERIFIED");

    Run applied = senders("--apply");
    assertThat(applied.out()).contains("Applied 2 webhook fix(es)");
    assertThat(applied.exit()).as(applied.out() + applied.err()).isZero();

    Run second = senders();
    assertThat(second.exit()).as(second.out() + second.err()).isZero();
    assertThat(second.out()).contains("No problems").doesNotContain("✗");

    // Both updates went through the real API paths, and every response matched the OpenAPI.
    @SuppressWarnings("unchecked")
    Map<String, Object> requests = (Map<String, Object>) control("GET", "/sandbox/requests", null);
    assertThat(requests.keySet())
        .anyMatch(
            k ->
                k.startsWith("POST /2010-04-01/Accounts/")
                    && k.contains("/IncomingPhoneNumbers/PN"))
        .anyMatch(k -> k.startsWith("POST /v1/Services/" + SERVICE))
        .anyMatch(k -> k.startsWith("GET /v1/Services/" + SERVICE + "/Compliance/Usa2p"))
        .anyMatch(k -> k.startsWith("GET /v1/Tollfree/Verifications"));
    @SuppressWarnings("unchecked")
    Map<String, Object> validation =
        (Map<String, Object>) control("GET", "/sandbox/validation", null);
    assertThat((List<?>) validation.get("responseViolations")).isEmpty();
  }

  @Test
  void registrationProblemsAreShownWithTheirFixAndApplyLeavesThem() {
    control("PUT", "/sandbox/registrations/" + TOLL_FREE, Map.of("status", "TWILIO_REJECTED"));
    control("PUT", "/sandbox/registrations/" + SERVICE, Map.of("status", "FAILED"));
    Run run = senders("--apply");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out())
        .contains(TOLL_FREE + " toll-free verification: TWILIO_REJECTED")
        .contains(LONG_CODE + " A2P 10DLC: campaign of " + SERVICE + " is FAILED")
        .contains("register a brand and campaign");
  }
}
