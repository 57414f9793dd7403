package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.ConnectorProcess;
import org.twiliocrm.testsupport.FreePort;

/**
 * Live mode, end to end, with the emulators standing in for api.twilio.com and Salesforce: the
 * Twilio's verdict on the credentials is a health check and a gauge of its own, which never takes
 * the connector out of service: readiness means "can take traffic" (database and routes).
 */
class LiveModeIT {
  @TempDir Path work;
  private TwilioSandbox twilio;
  private SalesforceSandbox salesforce;

  @BeforeEach
  void startServices() {
    twilio = TwilioSandbox.start(TwilioSandboxSettings.defaults());
    SalesforceSandboxSettings sf = SalesforceSandboxSettings.defaults();
    salesforce =
        SalesforceSandbox.start(
            SalesforceSandboxSettings.from(
                k ->
                    switch (k) {
                      case "sandbox.salesforce.port" -> "0";
                      case "sandbox.salesforce.data-dir" -> work.resolve("sf").toString();
                      default -> null;
                    }));
  }

  @AfterEach
  void stopServices() {
    salesforce.close();
    twilio.close();
  }

  private ConnectorProcess startLive(String authToken) throws Exception {
    Path config = work.resolve("live.properties");
    Files.writeString(config, "twilio.base-url=" + twilio.baseUrl() + "\n");
    SalesforceSandboxSettings sf = salesforce.settings();
    Map<String, String> env =
        Map.of(
            "CONNECTOR_CONFIG_FILE", config.toString(),
            "TWILIO_ACCOUNT_SID", twilio.accountSid(),
            "TWILIO_AUTH_TOKEN", authToken,
            "SALESFORCE_LOGIN_URL", salesforce.baseUrl(),
            "SALESFORCE_CLIENT_ID", sf.clientId(),
            "SALESFORCE_CLIENT_SECRET", sf.clientSecret(),
            "SALESFORCE_USERNAME", sf.username(),
            "SALESFORCE_PASSWORD", sf.password());
    return ConnectorProcess.start(work, env, FreePort.find());
  }

  @Test
  void readyWithCredentialsTwilioAccepts() throws Exception {
    try (ConnectorProcess p = startLive(twilio.authToken(twilio.accountSid()))) {
      p.awaitReady(Duration.ofSeconds(90));
      // The banner is logged once start-up completes, which can be a moment after readiness.
      await().atMost(Duration.ofSeconds(30)).until(() -> p.output().contains("MODE: "));
      assertThat(p.output()).contains("MODE: LIVE").contains(twilio.accountSid());
      assertThat(p.output()).doesNotContain(twilio.authToken(twilio.accountSid()));
    }
  }

  @Test
  void readyButSaysTwilioRefusesTheToken() throws Exception {
    try (ConnectorProcess p = startLive("wrong-token-value")) {
      // Ready: a Twilio refusal (or outage) must not take the pod out of service.
      p.awaitReady(Duration.ofSeconds(90));
      var ready = p.get("/observe/health/ready");
      assertThat(ready.body()).doesNotContain("twilio-credentials");
      var health = p.get("/observe/health");
      assertThat(health.body()).contains("twilio-credentials").contains("20003");
      assertThat(p.get("/observe/metrics").body())
          .containsPattern("twiliocrm_dependency_up\\{dependency=\"twilio\"[^}]*} 0\\.0");
      assertThat(p.output()).doesNotContain("wrong-token-value");
    }
  }
}
