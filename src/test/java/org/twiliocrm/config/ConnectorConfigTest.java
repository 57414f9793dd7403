package org.twiliocrm.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ConnectorConfigTest {
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);

  private static ConnectorConfig config(Map<String, String> env) {
    return ConnectorConfig.from(ConfigSource.load(env, new Properties()));
  }

  private static Map<String, String> liveEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("TWILIO_ACCOUNT_SID", SID);
    env.put("TWILIO_AUTH_TOKEN", "tok3n-value");
    env.put("SALESFORCE_CLIENT_ID", "cid");
    env.put("SALESFORCE_CLIENT_SECRET", "csecret");
    env.put("SALESFORCE_USERNAME", "integration@example.com");
    env.put("SALESFORCE_PASSWORD", "pw");
    return env;
  }

  @Test
  void defaultsGiveSandboxOnEmbeddedH2() {
    ConnectorConfig c = config(Map.of());
    assertThat(c.mode()).isEqualTo(Mode.SANDBOX);
    assertThat(c.db().vendor()).isEqualTo(ConnectorConfig.Vendor.H2);
    assertThat(c.http().port()).isEqualTo(8080);
    assertThat(c.http().publicUrl()).isEqualTo("http://localhost:8080");
  }

  @Test
  void credentialsSwitchAutoToLive() {
    assertThat(config(liveEnv()).mode()).isEqualTo(Mode.LIVE);
  }

  @Test
  void partialTwilioCredentialsRefuseAndNameTheKey() {
    Map<String, String> env = liveEnv();
    env.remove("TWILIO_AUTH_TOKEN");
    assertThatThrownBy(() -> config(env))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("twilio.auth-token:")
        .hasMessageContaining("TWILIO_AUTH_TOKEN");
  }

  @Test
  void apiKeyWithoutSecretIsRefused() {
    Map<String, String> env = liveEnv();
    env.put("TWILIO_API_KEY", "SK" + "0".repeat(32));
    assertThatThrownBy(() -> config(env)).hasMessageStartingWith("twilio.api-secret:");
  }

  @Test
  void missingSalesforceCredentialInLiveModeIsNamed() {
    Map<String, String> env = liveEnv();
    env.remove("SALESFORCE_PASSWORD");
    assertThatThrownBy(() -> config(env)).hasMessageStartingWith("salesforce.password:");
  }

  @Test
  void explicitLiveWithNoCredentialsNamesTheFirstMissingKey() {
    assertThatThrownBy(() -> config(Map.of("CONNECTOR_MODE", "live")))
        .hasMessageStartingWith("twilio.account-sid:");
  }

  @Test
  void malformedAccountSidIsRejectedWithoutEchoingIt() {
    assertThatThrownBy(() -> config(Map.of("TWILIO_ACCOUNT_SID", "ACnot-a-sid")))
        .hasMessageStartingWith("twilio.account-sid:")
        .hasMessageNotContaining("ACnot-a-sid");
  }

  @Test
  void invalidValuesNameKeyAndProblem() {
    assertThatThrownBy(() -> config(Map.of("CONNECTOR_HTTP_PORT", "eighty")))
        .hasMessage(
            "connector.http.port: must be a whole number between 0 and 65535, got 'eighty'");
    assertThatThrownBy(() -> config(Map.of("CONNECTOR_MODE", "production")))
        .hasMessage("connector.mode: must be one of sandbox, live, auto, got 'production'");
    assertThatThrownBy(() -> config(Map.of("CONNECTOR_DB_URL", "jdbc:oracle:thin:@x")))
        .hasMessageStartingWith("connector.db.url: must start with");
    assertThatThrownBy(() -> config(Map.of("CONNECTOR_PUBLIC_URL", "example.com/hooks")))
        .hasMessageStartingWith("connector.public-url: must be an absolute http");
    assertThatThrownBy(() -> config(Map.of("CONNECTOR_DB_CONNECT_TIMEOUT", "soon")))
        .hasMessageStartingWith("connector.db.connect-timeout: must be a duration");
  }

  @Test
  void secretsNeverAppearInToString() {
    ConnectorConfig c = config(liveEnv());
    assertThat(c.toString())
        .doesNotContain("tok3n-value")
        .doesNotContain("csecret")
        .doesNotContain("pw,");
  }
}
