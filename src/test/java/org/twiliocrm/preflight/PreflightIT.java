package org.twiliocrm.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.testsupport.ConnectorProcess;
import org.twiliocrm.testsupport.FreePort;
import org.twiliocrm.testsupport.TestHttp;

/**
 * {@code java -jar ... preflight} as a new user runs it: against a fresh sandbox start it passes;
 * each failure simulated through the sandboxes' control APIs is reported with its fix and fails the
 * exit code; secrets never appear.
 */
class PreflightIT {
  private static final HttpClient HTTP = TestHttp.client();
  private static final Duration RUN = Duration.ofSeconds(120);

  @TempDir Path work;

  @Test
  void passesOnAnUntouchedSandboxAndReportsEverySimulatedFailureWithItsFix() throws Exception {
    int port = FreePort.find();
    int twilioPort = FreePort.find();
    int sfPort = FreePort.find();
    Path config = work.resolve("connector.properties");
    Files.writeString(
        config,
        "sandbox.twilio.port="
            + twilioPort
            + "\nsandbox.salesforce.port="
            + sfPort
            + "\nconnector.http.port="
            + port
            + "\npreflight.recheck-interval=2s"
            // A fresh H2 file on a busy 2-core machine can take longer than the 5 s default.
            + "\nconnector.db.connect-timeout=60s"
            + "\nsandbox.salesforce.data-dir="
            + work.resolve("sf-data").toString().replace('\\', '/')
            + "\n");
    Map<String, String> env = Map.of("CONNECTOR_CONFIG_FILE", config.toString());
    String sf = "http://127.0.0.1:" + sfPort + "/sandbox/";
    String tw = "http://127.0.0.1:" + twilioPort + "/sandbox/";
    try (ConnectorProcess connector = ConnectorProcess.start(work, env, port)) {
      connector.awaitReady(Duration.ofSeconds(120));

      Result ok = preflight(env, port);
      assertThat(ok.exit).as(ok.out).isZero();
      assertThat(ok.out)
          .contains("checking the sandboxes of the running connector")
          .contains("PREFLIGHT PASSED")
          .doesNotContain("✗")
          .containsPattern("✓ +Salesforce +field Twilio_Message__c.Message_Sid__c")
          .containsPattern("✓ +Salesforce +Change Data Capture for Case")
          .containsPattern("✓ +Twilio +webhook of \\+\\*+0006");

      // An admin deletes a field, cuts field access, turns CDC off; the org nears its API limit
      // and its streaming client limit; the sender is released and another's webhook changed.
      post(
          sf + "schema/delete-field", "{\"object\":\"Twilio_Message__c\",\"field\":\"Status__c\"}");
      post(
          sf + "schema/field-access",
          "{\"object\":\"Contact\",\"field\":\"SMS_Opt_Out__c\",\"access\":\"read\"}");
      post(sf + "schema/cdc", "{\"object\":\"Case\",\"enabled\":false}");
      // 1,000 left (under the 10% bound): room for the running connector's own re-checks every 2 s
      // (a describe per package object, eight since the governance objects) until the preflight
      // command below runs on a busy machine; 100 ran out first and every check read 403.
      post(sf + "limits", "{\"dailyRemaining\":1000,\"streamingClientsMax\":0}");
      send(
          "PUT",
          tw + "numbers/" + enc("+15005550006"),
          "{\"smsUrl\":\"https://old.example.com/sms\"}");

      // The running connector re-checks on its own: non-blocking health checks and a gauge.
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(
              () -> {
                String health = connector.get("/observe/health").body();
                assertThat(health)
                    .containsPattern("salesforce-schema[^}]*DOWN")
                    .contains("Twilio_Message__c.Status__c");
                assertThat(connector.get("/observe/metrics").body())
                    .containsPattern(
                        "twiliocrm_preflight_check\\{[^}]*check=\"salesforce-schema\"[^}]*} 0\\.0")
                    .containsPattern(
                        "twiliocrm_preflight_check\\{[^}]*check=\"salesforce-cdc\"[^}]*} 0\\.0");
              });
      assertThat(connector.get("/observe/health/ready").statusCode()).isEqualTo(200);

      Result bad = preflight(env, port);
      assertThat(bad.exit).as(bad.out).isEqualTo(1);
      assertThat(bad.out)
          .contains("PREFLIGHT FAILED")
          .containsPattern("✗ +Salesforce +field Twilio_Message__c.Status__c +missing")
          .contains(
              "Salesforce / field Twilio_Message__c.Status__c: deploy the package: cd salesforce"
                  + " && sf project deploy start --source-dir force-app")
          .containsPattern("✗ +Salesforce +field Contact.SMS_Opt_Out__c +read-only")
          .contains("sf org assign permset --name Twilio_Connector_Integration")
          .containsPattern("✗ +Salesforce +Change Data Capture for Case +not selected")
          .contains("Setup > Integrations > Change Data Capture")
          .containsPattern(
              "✗ +Salesforce +API daily limit headroom +\\d+ of 15000 calls left today \\(\\d%\\), below 10%")
          .containsPattern("✗ +Salesforce +streaming clients")
          .containsPattern(
              "✗ +Twilio +webhook of \\+\\*+0006 +'A message comes in' is 'https://old.example.com/sms'")
          .contains("--sms-url http://localhost:" + port + "/webhooks/twilio/inbound");
      assertSecretsHidden(bad.out);

      // The sender released: not owned.
      send("DELETE", tw + "numbers/" + enc("+15005550006"), "");
      Result unowned = preflight(env, port);
      assertThat(unowned.exit).isEqualTo(1);
      assertThat(unowned.out)
          .containsPattern("✗ +Twilio +sender \\+\\*+0006 +not owned by account AC0{32}")
          .contains("set crm.events.sender to a number of this account");

      // Back to the deployed package: passes again.
      post(sf + "reset?events=false", "");
      post(tw + "reset", "");
      Result again = preflight(env, port);
      assertThat(again.exit).as(again.out).isZero();
    }
  }

  @Test
  void anUnreachableLoginUrlIsAFailedCheckWithTheErrorNeverAStackTraceOrASecret() throws Exception {
    int dead = FreePort.find();
    Map<String, String> env =
        Map.of(
            "TWILIO_ACCOUNT_SID", "AC" + "b".repeat(32),
            "TWILIO_AUTH_TOKEN", "tw-secret-token-123",
            "TWILIO_BASE_URL", "http://127.0.0.1:" + dead,
            "SALESFORCE_LOGIN_URL", "http://127.0.0.1:" + dead,
            "SALESFORCE_CLIENT_ID", "cid",
            "SALESFORCE_CLIENT_SECRET", "sf-client-secret-456",
            "SALESFORCE_USERNAME", "integration@example.com",
            "SALESFORCE_PASSWORD", "sf-password-789",
            "CONNECTOR_DB_URL", "jdbc:h2:mem:preflight",
            "CONNECTOR_PUBLIC_URL", "http://localhost:8080");
    Result r = preflight(env, FreePort.find());
    assertThat(r.exit).as(r.out).isEqualTo(1);
    assertThat(r.out)
        .contains("in LIVE mode")
        .containsPattern(
            "✗ +Salesforce +login \\(username-password grant\\) +login at http://127.0.0.1:"
                + dead
                + " failed: ")
        .containsPattern("✗ +Twilio +credentials of AC" + "b".repeat(32))
        .containsPattern(
            "✗ +Twilio +public URL +http://localhost:8080: local, Twilio cannot reach it; not https")
        .containsPattern("✗ +Database +durable settings +in-memory H2")
        .doesNotContain("\tat ")
        .doesNotContain("Exception in thread");
    assertThat(r.out)
        .doesNotContain("tw-secret-token-123")
        .doesNotContain("sf-client-secret-456")
        .doesNotContain("sf-password-789");
  }

  private static void assertSecretsHidden(String out) {
    assertThat(out)
        .doesNotContain("sandbox-auth-token")
        .doesNotContain("sandbox-client-secret")
        .doesNotContain("sandbox-password")
        .doesNotContain("+15005550006");
  }

  private record Result(int exit, String out) {}

  private Result preflight(Map<String, String> env, int port) throws Exception {
    Path dir = work;
    try (ConnectorProcess p = ConnectorProcess.start(dir, env, port, "preflight")) {
      int exit = p.awaitExit(RUN);
      return new Result(exit, p.output());
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static void post(String url, String body) throws Exception {
    send("POST", url, body);
  }

  private static void send(String method, String url, String body) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + url + " -> " + r.body()).isLessThan(300);
  }
}
