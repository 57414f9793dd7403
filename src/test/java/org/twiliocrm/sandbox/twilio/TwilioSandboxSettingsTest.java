package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileReader;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class TwilioSandboxSettingsTest {

  @Test
  void applicationPropertiesMatchTheCodeDefaults() throws IOException {
    Properties p = new Properties();
    try (FileReader r = new FileReader("src/main/resources/application.properties")) {
      p.load(r);
    }
    assertThat(TwilioSandboxSettings.from(p::getProperty))
        .isEqualTo(TwilioSandboxSettings.from(k -> null));
    // Every key the file sets is declared, and every declared key is in the file.
    assertThat(p.stringPropertyNames().stream().filter(k -> k.startsWith("sandbox.twilio.")))
        .containsExactlyInAnyOrderElementsOf(
            TwilioSandboxSettings.KEYS.stream().map(k -> k.name()).toList());
  }

  @Test
  void badValuesAreRejectedNamingTheKey() {
    assertThatThrownBy(() -> TwilioSandboxSettings.from(Map.of("sandbox.twilio.port", "abc")::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("sandbox.twilio.port: must be a whole number between 0 and 65535, got 'abc'");
    assertThatThrownBy(
            () -> TwilioSandboxSettings.from(Map.of("sandbox.twilio.accounts", "AC1:x")::get))
        .hasMessageStartingWith("sandbox.twilio.accounts:");
    assertThatThrownBy(
            () -> TwilioSandboxSettings.from(Map.of("sandbox.twilio.numbers", "5550006")::get))
        .hasMessageStartingWith("sandbox.twilio.numbers:");
    assertThatThrownBy(
            () ->
                TwilioSandboxSettings.from(
                    Map.of("sandbox.twilio.outcome-rules", "x=teleported")::get))
        .hasMessageStartingWith("sandbox.twilio.outcome-rules:");
    assertThatThrownBy(
            () ->
                TwilioSandboxSettings.from(
                    Map.of("sandbox.twilio.validation.requests", "maybe")::get))
        .hasMessageStartingWith("sandbox.twilio.validation.requests:");
    assertThatThrownBy(
            () -> TwilioSandboxSettings.from(Map.of("sandbox.twilio.api-keys", "SK1:x:AC1")::get))
        .hasMessageStartingWith("sandbox.twilio.api-keys:");
  }

  @Test
  void goodValuesAreRead() {
    TwilioSandboxSettings s =
        TwilioSandboxSettings.from(
            Map.of(
                    "sandbox.twilio.port",
                    "0",
                    "sandbox.twilio.numbers",
                    "+15005550006, +15005550010, 12345",
                    "sandbox.twilio.messaging-services",
                    "MG" + "a".repeat(32),
                    "sandbox.twilio.api-keys",
                    "SK" + "1".repeat(32) + ":sec:AC" + "0".repeat(32))
                ::get);
    assertThat(s.port()).isZero();
    assertThat(s.numbers()).containsExactly("+15005550006", "+15005550010", "12345");
    assertThat(s.messagingServices()).containsExactly("MG" + "a".repeat(32));
    assertThat(s.apiKeys().get("SK" + "1".repeat(32)))
        .isEqualTo(List.of("sec", "AC" + "0".repeat(32)));
    assertThat(s.toString()).doesNotContain("sandbox-auth-token").doesNotContain("sec");
  }
}
