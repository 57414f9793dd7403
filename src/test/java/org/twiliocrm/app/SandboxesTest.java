package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.twiliocrm.webhook.WebhookSettings;

/** The wiring point derives what production code needs to reach the sandbox; nothing else does. */
class SandboxesTest {
  private static final String A = "AC" + "a".repeat(32);
  private static final String B = "AC" + "b".repeat(32);

  @Test
  void withoutAStartedSandboxTheClientUsesItsConfiguredAddressAndFirstAccount() {
    Function<String, String> client =
        Sandboxes.twilioClient(
            Map.of(
                    "sandbox.twilio.port", "9123",
                    "twilio.api-key", "SKx",
                    "sandbox.twilio.accounts", "AC11111111111111111111111111111111:tok1")
                ::get);
    assertThat(client.apply("twilio.base-url")).isEqualTo("http://127.0.0.1:9123");
    assertThat(client.apply("twilio.account-sid")).isEqualTo("AC11111111111111111111111111111111");
    assertThat(client.apply("twilio.auth-token")).isEqualTo("tok1");
    assertThat(client.apply("twilio.api-key")).isNull();
  }

  @Test
  void whatTheStartedSandboxDerivedWins() {
    Function<String, String> client =
        Sandboxes.twilioClient(
            Map.of("twilio.base-url", "http://127.0.0.1:5555", "twilio.account-sid", "ACd")::get);
    assertThat(client.apply("twilio.base-url")).isEqualTo("http://127.0.0.1:5555");
    assertThat(client.apply("twilio.account-sid")).isEqualTo("ACd");
    assertThat(client.apply("twilio.auth-token")).isEqualTo("sandbox-auth-token");
  }

  @Test
  void everySandboxAccountSignsWebhooks() {
    assertThat(Sandboxes.accountTokens(k -> null))
        .containsEntry("AC00000000000000000000000000000000", "sandbox-auth-token");
    assertThat(
            Sandboxes.accountTokens(Map.of("sandbox.twilio.accounts", A + ":ta," + B + ":tb")::get))
        .containsOnlyKeys(A, B);
  }

  @Test
  void aSecondaryTokenWithoutAnAccountBelongsToTheFirstSandboxAccount() {
    Map<String, String> cfg =
        Map.of(
            "sandbox.twilio.accounts",
            A + ":ta," + B + ":tb",
            "twilio.secondary-auth-token",
            "rotated");
    WebhookSettings s =
        WebhookSettings.from(Sandboxes.webhookOwner(cfg::get))
            .withAuthTokens(Sandboxes.accountTokens(cfg::get));
    assertThat(s.tokensOf(A)).containsExactlyInAnyOrder("ta", "rotated");
    assertThat(s.tokensOf(B)).containsExactly("tb");
    // a configured account stays the owner
    assertThat(
            Sandboxes.webhookOwner(Map.of("twilio.account-sid", B)::get)
                .apply("twilio.account-sid"))
        .isEqualTo(B);
  }
}
