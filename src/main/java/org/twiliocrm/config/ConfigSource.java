package org.twiliocrm.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The connector's raw key/value configuration, layered so that a Kubernetes deployment can override
 * anything without rebuilding the image.
 *
 * <p>Precedence, lowest first: the packaged {@code application.properties}; an optional external
 * properties file ({@code CONNECTOR_CONFIG_FILE}, e.g. a mounted ConfigMap); an optional directory
 * of secret files ({@code CONNECTOR_SECRETS_DIR}, e.g. a mounted Secret: one file per key, named as
 * the key or as its environment variable); environment variables in Kubernetes style ({@code
 * connector.http.port} is {@code CONNECTOR_HTTP_PORT}); JVM system properties ({@code
 * -Dconnector.http.port=...}).
 */
public final class ConfigSource {
  /** Environment variable naming an extra properties file layered over the packaged defaults. */
  public static final String CONFIG_FILE_ENV = "CONNECTOR_CONFIG_FILE";

  /**
   * Environment variable naming a directory of secret files, one per key: a Kubernetes Secret
   * mounted as a volume. Files keep secrets out of the process environment (which child processes,
   * crash reports and {@code kubectl describe} see), and the mount follows the Secret's updates.
   */
  public static final String SECRETS_DIR_ENV = "CONNECTOR_SECRETS_DIR";

  private final Map<String, String> values;
  private final Set<String> documentedKeys;

  private ConfigSource(Map<String, String> values, Set<String> documentedKeys) {
    this.values = Collections.unmodifiableMap(values);
    this.documentedKeys = Collections.unmodifiableSet(documentedKeys);
  }

  /** Loads the layers from the real environment of this process. */
  public static ConfigSource load() {
    return load(System.getenv(), System.getProperties());
  }

  /** Loads the layers with an explicit environment and system properties (tests use this). */
  public static ConfigSource load(Map<String, String> env, Properties system) {
    Properties packaged = new Properties();
    try (InputStream in = ConfigSource.class.getResourceAsStream("/application.properties")) {
      if (in == null) {
        throw new IllegalStateException("application.properties is missing from the artifact");
      }
      packaged.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the packaged application.properties", e);
    }
    Map<String, String> merged = new LinkedHashMap<>();
    packaged.stringPropertyNames().stream()
        .sorted()
        .forEach(k -> merged.put(k, packaged.getProperty(k).trim()));
    Set<String> documented = new TreeSet<>(merged.keySet());

    String file = env.get(CONFIG_FILE_ENV);
    if (file != null && !file.isBlank()) {
      Path path = Path.of(file);
      if (!Files.isReadable(path)) {
        throw new ConfigException(
            CONFIG_FILE_ENV, "file '" + file + "' does not exist or is not readable");
      }
      Properties external = new Properties();
      try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
        external.load(r);
      } catch (IOException e) {
        throw new ConfigException(CONFIG_FILE_ENV, "cannot read '" + file + "': " + e.getMessage());
      }
      external.stringPropertyNames().forEach(k -> merged.put(k, external.getProperty(k).trim()));
    }

    String secretsDir = env.get(SECRETS_DIR_ENV);
    if (secretsDir != null && !secretsDir.isBlank()) {
      merged.putAll(secretFiles(Path.of(secretsDir), merged.keySet()));
    }

    // Every known key may be overridden from the environment; camel.* keys too, so the Camel
    // runtime itself is tunable the same way.
    for (String key : new TreeSet<>(merged.keySet())) {
      String fromEnv = env.get(envName(key));
      if (fromEnv != null) {
        merged.put(key, fromEnv.trim());
      }
    }
    for (String key : system.stringPropertyNames()) {
      // Every known key (governance.*, templates.*, retention.* included), and the prefixes
      // whose keys are not all declared (camel.* and the connector's own families).
      if (documented(merged, key)
          || key.startsWith("connector.")
          || key.startsWith("camel.")
          || key.startsWith("twilio.")
          || key.startsWith("salesforce.")
          || key.startsWith("sandbox.")
          || key.startsWith("outbox.")
          || key.startsWith("webhook.")
          || key.startsWith("crm.")) {
        merged.put(key, system.getProperty(key).trim());
      }
    }
    return new ConfigSource(merged, documented);
  }

  /**
   * Reads a directory of secret files: each file's name is a known key ({@code twilio.auth-token})
   * or its environment variable ({@code TWILIO_AUTH_TOKEN}, as Secret keys are usually spelled),
   * its content the value. Names starting with a dot are skipped: the kubelet keeps its {@code
   * ..data} link and timestamped folders there. A name that matches no key stops the start-up,
   * because a misspelt secret would otherwise leave the real key silently unset. Error messages
   * name the file, never its content.
   */
  private static Map<String, String> secretFiles(Path dir, Set<String> known) {
    if (!Files.isDirectory(dir)) {
      throw new ConfigException(
          SECRETS_DIR_ENV, "'" + dir + "' does not exist or is not a directory");
    }
    Map<String, String> byEnvName = new LinkedHashMap<>();
    known.forEach(k -> byEnvName.put(envName(k), k));
    Map<String, String> out = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    } catch (IOException e) {
      throw new ConfigException(SECRETS_DIR_ENV, "cannot list '" + dir + "': " + e.getMessage());
    }
    for (Path file : files) {
      if (!Files.isRegularFile(file)) {
        continue;
      }
      String name = file.getFileName().toString();
      String key = known.contains(name) ? name : byEnvName.get(name);
      if (key == null) {
        throw new ConfigException(
            SECRETS_DIR_ENV,
            "file '"
                + name
                + "' in '"
                + dir
                + "' names no configuration key (name a file as the key, e.g."
                + " twilio.auth-token, or as its environment variable, e.g. TWILIO_AUTH_TOKEN)");
      }
      try {
        out.put(key, Files.readString(file, StandardCharsets.UTF_8).trim());
      } catch (IOException e) {
        throw new ConfigException(
            SECRETS_DIR_ENV, "cannot read the file '" + name + "' in '" + dir + "'");
      }
    }
    return out;
  }

  private static boolean documented(Map<String, String> known, String key) {
    return known.containsKey(key);
  }

  /** Builds a source directly from a map (tests). */
  public static ConfigSource of(Map<String, String> values) {
    return new ConfigSource(new LinkedHashMap<>(values), new TreeSet<>(values.keySet()));
  }

  /** The environment variable that overrides {@code key}. */
  public static String envName(String key) {
    return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** The value, or null when the key is unset or blank. */
  public String get(String key) {
    String v = values.get(key);
    return v == null || v.isEmpty() ? null : v;
  }

  public Map<String, String> asMap() {
    return values;
  }

  /** Keys the packaged file documents; an override of an unknown key is likely a typo. */
  public Set<String> documentedKeys() {
    return documentedKeys;
  }

  public Properties asProperties() {
    Properties p = new Properties();
    values.forEach(p::setProperty);
    return p;
  }
}
