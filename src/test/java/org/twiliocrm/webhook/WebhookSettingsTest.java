package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookSettingsTest {
  @Test
  void tokensComeFromAllSourcesAndAreNeverPrinted() {
    Map<String, String> m =
        Map.of(
            "webhook.auth-tokens", "ACsub:subtoken",
            "twilio.account-sid", "ACmain",
            "twilio.auth-token", "maintoken",
            "connector.public-url", "https://hooks.example.com/");
    WebhookSettings s = WebhookSettings.from(m::get, false);
    assertThat(s.authTokens())
        .containsEntry("ACsub", "subtoken")
        .containsEntry("ACmain", "maintoken");
    assertThat(s.publicUrl()).isEqualTo("https://hooks.example.com");
    assertThat(s.toString()).doesNotContain("subtoken").doesNotContain("maintoken");
  }

  @Test
  void sandboxModeKnowsTheSandboxAccount() {
    assertThat(WebhookSettings.from(k -> null, true).authTokens())
        .containsKey("AC00000000000000000000000000000000");
    assertThat(WebhookSettings.from(k -> null, false).authTokens()).isEmpty();
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> WebhookSettings.from(Map.of("webhook.auth-tokens", "ACx")::get, false))
        .hasMessageStartingWith("webhook.auth-tokens:");
    assertThatThrownBy(
            () -> WebhookSettings.from(Map.of("connector.public-url", "ftp://x")::get, false))
        .hasMessageStartingWith("connector.public-url:");
    assertThatThrownBy(
            () -> WebhookSettings.from(Map.of("webhook.max-body-bytes", "abc")::get, false))
        .hasMessageStartingWith("webhook.max-body-bytes:");
  }

  @org.junit.jupiter.api.Test
  void theAckWaitStaysBelowTwilioTimeout() {
    assertThat(WebhookSettings.from(k -> null, false).ackWaitMillis()).isEqualTo(5000);
    assertThatThrownBy(
            () -> WebhookSettings.from(Map.of("webhook.ack.max-wait-millis", "15000")::get, false))
        .hasMessageContaining("webhook.ack.max-wait-millis");
    assertThat(
            WebhookSettings.from(Map.of("webhook.ack.max-wait-millis", "14999")::get, false)
                .ackWaitMillis())
        .isEqualTo(14999);
  }

  @org.junit.jupiter.api.Test
  void callbackUrlsCarryTheConnectionOverrides() {
    WebhookSettings s = WebhookSettings.from(k -> null, false);
    assertThat(s.withOverrides("https://h/x")).isEqualTo("https://h/x#rc=3&rp=all");
    // a URL that already has its own fragment keeps it
    assertThat(s.withOverrides("https://h/x#rc=1")).isEqualTo("https://h/x#rc=1");
    assertThat(
            WebhookSettings.from(Map.of("webhook.connection-overrides", "none")::get, false)
                .withOverrides("https://h/x"))
        .isEqualTo("https://h/x");
  }
}
