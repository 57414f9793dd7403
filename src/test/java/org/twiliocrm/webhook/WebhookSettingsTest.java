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
}
