package org.twiliocrm.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigSourceTest {

  @Test
  void packagedDefaultsAreLoaded() {
    ConfigSource s = ConfigSource.load(Map.of(), new Properties());
    assertThat(s.get("connector.http.port")).isEqualTo("8080");
    assertThat(s.get("connector.mode")).isEqualTo("auto");
  }

  @Test
  void environmentOverridesKubernetesStyle() {
    ConfigSource s =
        ConfigSource.load(
            Map.of("CONNECTOR_HTTP_PORT", "9090", "CONNECTOR_DB_POOL_SIZE", "3"), new Properties());
    assertThat(s.get("connector.http.port")).isEqualTo("9090");
    assertThat(s.get("connector.db.pool-size")).isEqualTo("3");
  }

  @Test
  void externalFileThenEnvThenSystemProperties(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("override.properties");
    Files.writeString(file, "connector.http.port=7000\nconnector.http.host=127.0.0.1\n");
    Properties sys = new Properties();
    sys.setProperty("connector.http.host", "10.0.0.1");
    ConfigSource s =
        ConfigSource.load(
            Map.of(ConfigSource.CONFIG_FILE_ENV, file.toString(), "CONNECTOR_HTTP_PORT", "7001"),
            sys);
    assertThat(s.get("connector.http.port")).isEqualTo("7001");
    assertThat(s.get("connector.http.host")).isEqualTo("10.0.0.1");
  }

  @Test
  void everyFlowsKeysCanBeSetAsSystemProperties() {
    Properties sys = new Properties();
    sys.setProperty("crm.events.sender", "+15005550006");
    sys.setProperty("webhook.max-body-bytes", "1024");
    // every known key, whatever its family (these two were once dropped)
    sys.setProperty("governance.reload-interval", "1h");
    sys.setProperty("templates.reload-interval", "30s");
    sys.setProperty("unrelated.key", "x");
    ConfigSource s = ConfigSource.load(Map.of(), sys);
    assertThat(s.get("crm.events.sender")).isEqualTo("+15005550006");
    assertThat(s.get("webhook.max-body-bytes")).isEqualTo("1024");
    assertThat(s.get("governance.reload-interval")).isEqualTo("1h");
    assertThat(s.get("templates.reload-interval")).isEqualTo("30s");
    assertThat(s.get("unrelated.key")).isNull();
  }

  @Test
  void missingExternalFileNamesTheVariable() {
    assertThatThrownBy(
            () ->
                ConfigSource.load(
                    Map.of(ConfigSource.CONFIG_FILE_ENV, "/nope/x.properties"), new Properties()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CONNECTOR_CONFIG_FILE")
        .hasMessageContaining("/nope/x.properties");
  }

  /**
   * A Secret mounted as a volume, laid out as the kubelet lays it out: the keys are links into
   * {@code ..data}, itself a link to a timestamped folder that an update swaps.
   */
  private static Path mountedSecret(Path dir, Map<String, String> keys) throws Exception {
    Path version = Files.createDirectories(dir.resolve("..2026_12_02_10_00_00.123"));
    Files.createSymbolicLink(dir.resolve("..data"), version.getFileName());
    for (Map.Entry<String, String> e : keys.entrySet()) {
      Files.writeString(version.resolve(e.getKey()), e.getValue());
      Files.createSymbolicLink(dir.resolve(e.getKey()), Path.of("..data", e.getKey()));
    }
    return dir;
  }

  @Test
  void secretsDirectoryGivesOneKeyPerFile(@TempDir Path dir) throws Exception {
    mountedSecret(
        dir,
        Map.of(
            "TWILIO_AUTH_TOKEN", "token-from-file\n",
            "connector.db.password", "pw-from-file",
            "SALESFORCE_CLIENT_SECRET", "  spaced\n"));
    ConfigSource s =
        ConfigSource.load(Map.of(ConfigSource.SECRETS_DIR_ENV, dir.toString()), new Properties());
    // named as the environment variable (Secret keys usually are) or as the key; the trailing
    // newline an editor or `echo` leaves is not part of the value
    assertThat(s.get("twilio.auth-token")).isEqualTo("token-from-file");
    assertThat(s.get("connector.db.password")).isEqualTo("pw-from-file");
    assertThat(s.get("salesforce.client-secret")).isEqualTo("spaced");
  }

  @Test
  void secretFilesSitBetweenTheConfigFileAndTheEnvironment(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("override.properties");
    Files.writeString(file, "connector.db.user=from-config-file\nconnector.db.password=x\n");
    Path secrets =
        mountedSecret(
            Files.createDirectory(dir.resolve("secrets")),
            Map.of("CONNECTOR_DB_USER", "from-secret", "CONNECTOR_DB_PASSWORD", "pw-from-secret"));
    ConfigSource s =
        ConfigSource.load(
            Map.of(
                ConfigSource.CONFIG_FILE_ENV,
                file.toString(),
                ConfigSource.SECRETS_DIR_ENV,
                secrets.toString(),
                "CONNECTOR_DB_USER",
                "from-env"),
            new Properties());
    assertThat(s.get("connector.db.password")).isEqualTo("pw-from-secret");
    assertThat(s.get("connector.db.user")).isEqualTo("from-env");
  }

  @Test
  void aSecretFileNamingNoKeyStopsWithoutShowingItsContent(@TempDir Path dir) throws Exception {
    mountedSecret(dir, Map.of("TWILIO_AUTH_TOKN", "do-not-print-me"));
    assertThatThrownBy(
            () ->
                ConfigSource.load(
                    Map.of(ConfigSource.SECRETS_DIR_ENV, dir.toString()), new Properties()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CONNECTOR_SECRETS_DIR")
        .hasMessageContaining("'TWILIO_AUTH_TOKN'")
        .hasMessageContaining("names no configuration key")
        .hasMessageNotContaining("do-not-print-me");
  }

  @Test
  void aMissingSecretsDirectoryNamesTheVariable() {
    assertThatThrownBy(
            () ->
                ConfigSource.load(
                    Map.of(ConfigSource.SECRETS_DIR_ENV, "/nope/secrets"), new Properties()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CONNECTOR_SECRETS_DIR")
        .hasMessageContaining("/nope/secrets");
  }

  @Test
  void envNameFollowsKubernetesConvention() {
    assertThat(ConfigSource.envName("connector.db.pool-size")).isEqualTo("CONNECTOR_DB_POOL_SIZE");
  }
}
