package org.twiliocrm.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TwilioClientSettingsTest {
  static final String SID = "AC" + "0".repeat(32);

  @Test
  void readsKeysAndHidesSecrets() {
    TwilioClientSettings s =
        TwilioClientSettings.from(
            Map.of(
                    "twilio.base-url",
                    "http://127.0.0.1:8089",
                    "twilio.account-sid",
                    SID,
                    "twilio.auth-token",
                    "tok-secret")
                ::get);
    assertThat(s.baseUrl()).isEqualTo("http://127.0.0.1:8089");
    assertThat(s.maxConnections()).isEqualTo(200);
    assertThat(s.username()).isEqualTo(SID);
    assertThat(s.password()).isEqualTo("tok-secret");
    assertThat(s.toString()).doesNotContain("tok-secret");
    TwilioClientSettings live =
        TwilioClientSettings.from(
            Map.of(
                    "twilio.base-url",
                    " ",
                    "twilio.account-sid",
                    SID,
                    "twilio.api-key",
                    "SK1",
                    "twilio.api-secret",
                    "key-secret")
                ::get);
    assertThat(live.baseUrl()).isNull();
    assertThat(live.username()).isEqualTo("SK1");
    assertThat(live.password()).isEqualTo("key-secret");
    assertThat(live.toString()).doesNotContain("key-secret").contains("real Twilio");
  }

  @Test
  void rejectsBadValuesNamingTheKey() {
    assertThatThrownBy(
            () ->
                TwilioClientSettings.from(
                    Map.of("twilio.account-sid", "nope", "twilio.auth-token", "t")::get))
        .hasMessageStartingWith("twilio.account-sid:");
    assertThatThrownBy(() -> TwilioClientSettings.from(Map.of("twilio.account-sid", SID)::get))
        .hasMessageStartingWith("twilio.auth-token:");
    assertThatThrownBy(
            () ->
                TwilioClientSettings.from(
                    Map.of(
                            "twilio.account-sid",
                            SID,
                            "twilio.auth-token",
                            "t",
                            "twilio.base-url",
                            "ftp://x")
                        ::get))
        .hasMessageStartingWith("twilio.base-url:");
    assertThatThrownBy(
            () ->
                TwilioClientSettings.from(
                    Map.of(
                            "twilio.account-sid",
                            SID,
                            "twilio.auth-token",
                            "t",
                            "twilio.max-connections",
                            "0")
                        ::get))
        .hasMessage("twilio.max-connections: must be between 1 and 10000, got 0");
    assertThatThrownBy(
            () ->
                TwilioClientSettings.from(
                    Map.of("twilio.account-sid", SID, "twilio.api-key", "SK1")::get))
        .hasMessageContaining("twilio.api-secret");
  }
}
