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
    WebhookSettings s = WebhookSettings.from(m::get);
    assertThat(s.authTokens())
        .containsEntry("ACsub", "subtoken")
        .containsEntry("ACmain", "maintoken");
    assertThat(s.publicUrl()).isEqualTo("https://hooks.example.com");
    assertThat(s.toString()).doesNotContain("subtoken").doesNotContain("maintoken");
  }

  @Test
  void theWiringPointAddsTokens() {
    // Sandbox mode adds the sandbox's accounts here (app.Beans; SandboxesTest checks which).
    assertThat(WebhookSettings.from(k -> null).authTokens()).isEmpty();
    assertThat(
            WebhookSettings.from(k -> null)
                .withAuthTokens(Map.of("AC00000000000000000000000000000000", "t"))
                .authTokens())
        .containsKey("AC00000000000000000000000000000000");
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> WebhookSettings.from(Map.of("webhook.auth-tokens", "ACx")::get))
        .hasMessageStartingWith("webhook.auth-tokens:");
    assertThatThrownBy(() -> WebhookSettings.from(Map.of("connector.public-url", "ftp://x")::get))
        .hasMessageStartingWith("connector.public-url:");
    assertThatThrownBy(() -> WebhookSettings.from(Map.of("webhook.max-body-bytes", "abc")::get))
        .hasMessageStartingWith("webhook.max-body-bytes:");
  }

  @org.junit.jupiter.api.Test
  void theAckWaitStaysBelowTwilioTimeout() {
    assertThat(WebhookSettings.from(k -> null).ackWaitMillis()).isEqualTo(5000);
    assertThatThrownBy(
            () -> WebhookSettings.from(Map.of("webhook.ack.max-wait-millis", "15000")::get))
        .hasMessageContaining("webhook.ack.max-wait-millis");
    assertThat(
            WebhookSettings.from(Map.of("webhook.ack.max-wait-millis", "14999")::get)
                .ackWaitMillis())
        .isEqualTo(14999);
  }

  @org.junit.jupiter.api.Test
  void callbackUrlsCarryTheConnectionOverrides() {
    WebhookSettings s = WebhookSettings.from(k -> null);
    assertThat(s.withOverrides("https://h/x")).isEqualTo("https://h/x#rc=3&rp=all");
    // a URL that already has its own fragment keeps it
    assertThat(s.withOverrides("https://h/x#rc=1")).isEqualTo("https://h/x#rc=1");
    assertThat(
            WebhookSettings.from(Map.of("webhook.connection-overrides", "none")::get)
                .withOverrides("https://h/x"))
        .isEqualTo("https://h/x");
  }

  @Test
  void aSecondaryTokenNeedsItsAccountAndSignsBesideThePrimary() {
    assertThatThrownBy(
            () -> WebhookSettings.from(Map.of("twilio.secondary-auth-token", "new")::get))
        .hasMessageStartingWith("twilio.secondary-auth-token:");
    WebhookSettings s =
        WebhookSettings.from(
            Map.of(
                    "twilio.account-sid", "ACmain",
                    "twilio.auth-token", "old",
                    "twilio.secondary-auth-token", "new")
                ::get);
    assertThat(s.tokensOf("ACmain")).containsExactly("old", "new");
    assertThat(s.toString()).doesNotContain("old").doesNotContain("new");
  }

  @Test
  void tokensTheWiringPointAddsSignBesideTheConfiguredOnes() {
    WebhookSettings s =
        WebhookSettings.from(Map.of("twilio.account-sid", "ACa", "twilio.auth-token", "file")::get)
            .withAuthTokens(Map.of("ACa", "sandbox", "ACb", "other"));
    assertThat(s.tokensOf("ACa")).containsExactly("file", "sandbox");
    assertThat(s.tokensOf("ACb")).containsExactly("other");
  }
}
