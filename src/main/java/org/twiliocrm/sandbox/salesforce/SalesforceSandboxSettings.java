package org.twiliocrm.sandbox.salesforce;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * Typed settings of the local Salesforce org emulator, read from the {@code sandbox.salesforce.*}
 * keys. Credentials here are sandbox-only: the emulator accepts exactly these, so tests and demos
 * exercise the same failure paths a real org has.
 *
 * @param host interface to bind, e.g. 127.0.0.1
 * @param port TCP port; 0 picks a free one
 * @param publicUrl base URL handed out as instance_url; blank = http://host:actualPort
 * @param seed path of the seed JSON file; blank = the bundled classpath seed
 * @param dataDir directory holding the retained-event log (survives restarts)
 * @param clientId connected app consumer key
 * @param clientSecret connected app consumer secret
 * @param username integration user name
 * @param password integration user password (a security token may be appended, as on Salesforce)
 * @param securityToken optional security token accepted after the password; blank = none
 * @param refreshToken refresh token accepted by the refresh_token grant
 * @param jwtCertificate PEM file of the X.509 certificate that verifies JWT bearer assertions;
 *     blank = JWT bearer grant refused
 * @param jwtAudience accepted JWT audience; blank = the sandbox URL or login/test.salesforce.com
 * @param orgId 18-character organization id
 * @param apiDailyLimit API calls allowed per day before REQUEST_LIMIT_EXCEEDED
 * @param eventRetentionHours how long streaming events stay replayable
 */
public record SalesforceSandboxSettings(
    String host,
    int port,
    String publicUrl,
    String seed,
    Path dataDir,
    String clientId,
    String clientSecret,
    String username,
    String password,
    String securityToken,
    String refreshToken,
    String jwtCertificate,
    String jwtAudience,
    String orgId,
    long apiDailyLimit,
    int eventRetentionHours) {

  public static final String PREFIX = "sandbox.salesforce.";

  /** Defaults only; handy for tests that then override with {@code with*} copies. */
  public static SalesforceSandboxSettings defaults() {
    return from(key -> null);
  }

  /**
   * Reads every key through {@code lookup} (null = unset = default).
   *
   * @throws IllegalArgumentException naming the key when a value is invalid
   */
  public static SalesforceSandboxSettings from(Function<String, String> lookup) {
    Reader r = new Reader(lookup);
    String orgId = r.string("org-id", "00D5g00000TwCrmEAA");
    if (!orgId.matches("00D[0-9A-Za-z]{15}")) {
      throw new IllegalArgumentException(
          PREFIX + "org-id: must be 18 characters starting with 00D, got '" + orgId + "'");
    }
    return new SalesforceSandboxSettings(
        r.string("host", "127.0.0.1"),
        (int) r.integer("port", 8091, 0, 65535),
        r.string("public-url", ""),
        r.string("seed", ""),
        Path.of(r.string("data-dir", "data/sandbox-salesforce")),
        r.nonBlank("client-id", "sandbox-client-id"),
        r.nonBlank("client-secret", "sandbox-client-secret"),
        r.nonBlank("username", "integration@twiliocrm.sandbox"),
        r.nonBlank("password", "sandbox-password"),
        r.string("security-token", ""),
        r.nonBlank("refresh-token", "sandbox-refresh-token"),
        r.string("jwt-certificate", ""),
        r.string("jwt-audience", ""),
        orgId,
        r.integer("api-daily-limit", 15000, 1, Integer.MAX_VALUE),
        (int) r.integer("event-retention-hours", 72, 1, 24 * 365));
  }

  public SalesforceSandboxSettings withPort(int newPort) {
    return new SalesforceSandboxSettings(
        host,
        newPort,
        publicUrl,
        seed,
        dataDir,
        clientId,
        clientSecret,
        username,
        password,
        securityToken,
        refreshToken,
        jwtCertificate,
        jwtAudience,
        orgId,
        apiDailyLimit,
        eventRetentionHours);
  }

  public SalesforceSandboxSettings withDataDir(Path dir) {
    return new SalesforceSandboxSettings(
        host,
        port,
        publicUrl,
        seed,
        dir,
        clientId,
        clientSecret,
        username,
        password,
        securityToken,
        refreshToken,
        jwtCertificate,
        jwtAudience,
        orgId,
        apiDailyLimit,
        eventRetentionHours);
  }

  public SalesforceSandboxSettings withJwtCertificate(String pemPath) {
    return new SalesforceSandboxSettings(
        host,
        port,
        publicUrl,
        seed,
        dataDir,
        clientId,
        clientSecret,
        username,
        password,
        securityToken,
        refreshToken,
        pemPath,
        jwtAudience,
        orgId,
        apiDailyLimit,
        eventRetentionHours);
  }

  public SalesforceSandboxSettings withApiDailyLimit(long limit) {
    return new SalesforceSandboxSettings(
        host,
        port,
        publicUrl,
        seed,
        dataDir,
        clientId,
        clientSecret,
        username,
        password,
        securityToken,
        refreshToken,
        jwtCertificate,
        jwtAudience,
        orgId,
        limit,
        eventRetentionHours);
  }

  /** Never print secrets: the generated record toString would. */
  @Override
  public String toString() {
    return "SalesforceSandboxSettings[host="
        + host
        + ", port="
        + port
        + ", seed="
        + (seed.isBlank() ? "classpath" : seed)
        + ", dataDir="
        + dataDir
        + ", username="
        + username
        + ", jwt="
        + !jwtCertificate.isBlank()
        + ", apiDailyLimit="
        + apiDailyLimit
        + ", eventRetentionHours="
        + eventRetentionHours
        + "]";
  }

  private record Reader(Function<String, String> lookup) {
    String string(String key, String def) {
      String v = lookup.apply(PREFIX + key);
      return v == null ? def : v.trim();
    }

    String nonBlank(String key, String def) {
      String v = string(key, def);
      if (v.isBlank()) {
        throw new IllegalArgumentException(PREFIX + key + ": must not be blank");
      }
      return v;
    }

    long integer(String key, long def, long min, long max) {
      String v = lookup.apply(PREFIX + key);
      if (v == null) {
        return def;
      }
      try {
        long n = Long.parseLong(v.trim());
        if (n < min || n > max) {
          throw new NumberFormatException();
        }
        return n;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            PREFIX + key + ": must be an integer " + min + ".." + max + ", got '" + v + "'");
      }
    }
  }
}
