package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SalesforceSandboxSettingsTest {
  @Test
  void defaultsWhenUnset() {
    SalesforceSandboxSettings s = SalesforceSandboxSettings.defaults();
    assertThat(s.port()).isEqualTo(8091);
    assertThat(s.host()).isEqualTo("127.0.0.1");
    assertThat(s.eventRetentionHours()).isEqualTo(72);
    assertThat(s.apiDailyLimit()).isEqualTo(15000);
    assertThat(s.orgId()).hasSize(18).startsWith("00D");
  }

  @Test
  void readsKeys() {
    Map<String, String> m =
        Map.of("sandbox.salesforce.port", "0", "sandbox.salesforce.api-daily-limit", "10");
    SalesforceSandboxSettings s = SalesforceSandboxSettings.from(m::get);
    assertThat(s.port()).isZero();
    assertThat(s.apiDailyLimit()).isEqualTo(10);
  }

  @Test
  void rejectsBadValuesNamingTheKey() {
    assertThatThrownBy(
            () -> SalesforceSandboxSettings.from(Map.of("sandbox.salesforce.port", "abc")::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("sandbox.salesforce.port: must be an integer 0..65535, got 'abc'");
    assertThatThrownBy(
            () -> SalesforceSandboxSettings.from(Map.of("sandbox.salesforce.org-id", "123")::get))
        .hasMessageStartingWith("sandbox.salesforce.org-id:");
    assertThatThrownBy(
            () -> SalesforceSandboxSettings.from(Map.of("sandbox.salesforce.password", " ")::get))
        .hasMessage("sandbox.salesforce.password: must not be blank");
  }

  @Test
  void applicationPropertiesDeclareEveryKeyWithTheDefault() throws Exception {
    java.util.Properties props = new java.util.Properties();
    try (var in =
        SalesforceSandboxSettingsTest.class.getResourceAsStream("/application.properties")) {
      props.load(in);
    }
    assertThat(props.stringPropertyNames())
        .filteredOn(k -> k.startsWith("sandbox.salesforce."))
        .hasSize(SalesforceSandboxSettings.KEYS.size());
    assertThat(SalesforceSandboxSettings.from(props::getProperty).toString())
        .isEqualTo(SalesforceSandboxSettings.defaults().toString());
  }

  @Test
  void toStringKeepsSecretsOut() {
    assertThat(SalesforceSandboxSettings.defaults().toString())
        .doesNotContain("sandbox-password", "sandbox-client-secret", "sandbox-refresh-token");
  }
}
