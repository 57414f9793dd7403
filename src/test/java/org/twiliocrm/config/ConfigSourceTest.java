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

  @Test
  void envNameFollowsKubernetesConvention() {
    assertThat(ConfigSource.envName("connector.db.pool-size")).isEqualTo("CONNECTOR_DB_POOL_SIZE");
  }
}
