package org.twiliocrm.sandbox.salesforce;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;

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
 * @param eventRetentionMax most streaming events kept; beyond it the oldest are dropped
 * @param maxRecords records kept per object (and deleted ones per object); beyond it the oldest go
 *     as if deleted and purged
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
    int eventRetentionHours,
    int eventRetentionMax,
    int maxRecords) {

  public static final String PREFIX = "sandbox.salesforce.";

  // Each key declared once: name, default, range and description (the reference in
  // docs/configuration.md and application.properties are checked against these, see
  // ConfigReferenceTest). Unlike the connector's keys, a value set blank is not "unset": it is
  // taken as written (and refused where blank makes no sense), as this emulator always has.
  public static final Key<String> HOST =
      text("host", "127.0.0.1", "Interface the emulated Salesforce org binds to.");
  public static final Key<String> EXTERNAL_URL =
      text(
          "external-url",
          "",
          "Sandbox mode only: base URL of an emulated org that is already running (java -jar ..."
              + " sandbox, or another connector's), used instead of starting one, so several"
              + " connector processes share one org (replicas, soak tests); empty = start one.");
  public static final Key<Long> PORT =
      whole(
          "port",
          8091,
          0,
          65535,
          "Port of the emulated org (login URL and instance URL); 0 picks a free port.");
  public static final Key<String> PUBLIC_URL =
      text(
          "public-url",
          "",
          "Base URL handed out as instance_url; empty = http://<host>:<actual port>.");
  public static final Key<String> SEED =
      text(
          "seed",
          "",
          "Seed file with object definitions and records; empty = the bundled"
              + " sandbox/salesforce/seed.json.");
  public static final Key<String> DATA_DIR =
      text(
          "data-dir",
          "data/sandbox-salesforce",
          "Directory of the retained streaming events (events.jsonl), kept across restarts.");
  public static final Key<String> CLIENT_ID =
      nonBlank(
          "client-id",
          "sandbox-client-id",
          "Connected app consumer key the emulated org accepts (sandbox only, not a real"
              + " credential).");
  public static final Key<String> CLIENT_SECRET =
      nonBlank(
          "client-secret",
          "sandbox-client-secret",
          "Connected app consumer secret the emulated org accepts (sandbox only; override from the"
              + " environment).");
  public static final Key<String> USERNAME =
      nonBlank(
          "username",
          "integration@twiliocrm.sandbox",
          "Integration user name the emulated org accepts.");
  public static final Key<String> PASSWORD =
      nonBlank(
          "password",
          "sandbox-password",
          "Integration user password the emulated org accepts (sandbox only; override from the"
              + " environment).");
  public static final Key<String> SECURITY_TOKEN =
      text(
          "security-token",
          "",
          "Security token that may be appended to the password, as on Salesforce; empty = none.");
  public static final Key<String> REFRESH_TOKEN =
      nonBlank(
          "refresh-token",
          "sandbox-refresh-token",
          "Refresh token accepted by the refresh_token grant (sandbox only).");
  public static final Key<String> JWT_CERTIFICATE =
      text(
          "jwt-certificate",
          "",
          "PEM X.509 certificate that verifies JWT bearer assertions; empty = JWT bearer grant"
              + " refused.");
  public static final Key<String> JWT_AUDIENCE =
      text(
          "jwt-audience",
          "",
          "Accepted JWT audience; empty = the sandbox URL, https://login.salesforce.com or"
              + " https://test.salesforce.com.");
  public static final Key<String> ORG_ID =
      Key.custom(
          PREFIX + "org-id",
          "string",
          "00D5g00000TwCrmEAA",
          "18 characters starting with 00D",
          "18-character organization id of the emulated org.",
          (s, k) -> {
            String orgId = verbatim(s, k);
            if (!orgId.matches("00D[0-9A-Za-z]{15}")) {
              throw new IllegalArgumentException(
                  k.name() + ": must be 18 characters starting with 00D, got '" + orgId + "'");
            }
            return orgId;
          });
  public static final Key<Long> API_DAILY_LIMIT =
      whole(
          "api-daily-limit",
          15000,
          1,
          Integer.MAX_VALUE,
          "REST API calls allowed per UTC day before 403 REQUEST_LIMIT_EXCEEDED.");
  public static final Key<Long> EVENT_RETENTION_HOURS =
      whole("event-retention-hours", 72, 1, 24 * 365, "Hours streaming events stay replayable.");
  public static final Key<Long> EVENT_RETENTION_MAX =
      whole(
          "event-retention-max",
          20_000,
          1,
          Integer.MAX_VALUE,
          "Most streaming events kept (in memory and in the data dir's file); beyond it the oldest"
              + " are dropped as if expired, so a long run's change events do not fill the heap.");
  public static final Key<Long> MAX_RECORDS =
      whole(
          "max-records",
          50_000,
          1,
          Integer.MAX_VALUE,
          "Records kept per object; beyond it the oldest of that object are forgotten as if"
              + " deleted and purged from the recycle bin (no change event; a later upsert by"
              + " external id creates a new record), so a long sandbox run does not fill the heap.");

  /** Every key, in the order application.properties writes them (for the reference). */
  public static final List<Key<?>> KEYS =
      List.of(
          EXTERNAL_URL,
          HOST,
          PORT,
          PUBLIC_URL,
          SEED,
          DATA_DIR,
          CLIENT_ID,
          CLIENT_SECRET,
          USERNAME,
          PASSWORD,
          SECURITY_TOKEN,
          REFRESH_TOKEN,
          JWT_CERTIFICATE,
          JWT_AUDIENCE,
          ORG_ID,
          API_DAILY_LIMIT,
          EVENT_RETENTION_HOURS,
          EVENT_RETENTION_MAX,
          MAX_RECORDS);

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
    Settings s = new Settings(lookup);
    String orgId = ORG_ID.read(s); // checked first, as it always was
    return new SalesforceSandboxSettings(
        HOST.read(s),
        PORT.read(s).intValue(),
        PUBLIC_URL.read(s),
        SEED.read(s),
        Path.of(DATA_DIR.read(s)),
        CLIENT_ID.read(s),
        CLIENT_SECRET.read(s),
        USERNAME.read(s),
        PASSWORD.read(s),
        SECURITY_TOKEN.read(s),
        REFRESH_TOKEN.read(s),
        JWT_CERTIFICATE.read(s),
        JWT_AUDIENCE.read(s),
        orgId,
        API_DAILY_LIMIT.read(s),
        EVENT_RETENTION_HOURS.read(s).intValue(),
        EVENT_RETENTION_MAX.read(s).intValue(),
        MAX_RECORDS.read(s).intValue());
  }

  /** The value trimmed, the default when unset; blank stays blank (not the default). */
  private static String verbatim(Settings s, Key<?> k) {
    String v = s.verbatim(k.name());
    return v == null ? k.defaultText() : v.trim();
  }

  private static Key<String> text(String suffix, String def, String description) {
    return Key.custom(PREFIX + suffix, "string", def, "", description, (s, k) -> verbatim(s, k));
  }

  private static Key<String> nonBlank(String suffix, String def, String description) {
    return Key.custom(
        PREFIX + suffix,
        "string",
        def,
        "not blank",
        description,
        (s, k) -> {
          String v = verbatim(s, k);
          if (v.isBlank()) {
            throw new IllegalArgumentException(k.name() + ": must not be blank");
          }
          return v;
        });
  }

  private static Key<Long> whole(String suffix, long def, long min, long max, String description) {
    return Key.custom(
        PREFIX + suffix,
        "integer",
        String.valueOf(def),
        min + ".." + max,
        description,
        (s, k) -> {
          String v = s.verbatim(k.name());
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
                k.name() + ": must be an integer " + min + ".." + max + ", got '" + v + "'");
          }
        });
  }

  public SalesforceSandboxSettings withPort(int newPort) {
    return copy(newPort, dataDir, jwtCertificate, apiDailyLimit, maxRecords);
  }

  public SalesforceSandboxSettings withDataDir(Path dir) {
    return copy(port, dir, jwtCertificate, apiDailyLimit, maxRecords);
  }

  public SalesforceSandboxSettings withJwtCertificate(String pemPath) {
    return copy(port, dataDir, pemPath, apiDailyLimit, maxRecords);
  }

  public SalesforceSandboxSettings withApiDailyLimit(long limit) {
    return copy(port, dataDir, jwtCertificate, limit, maxRecords);
  }

  public SalesforceSandboxSettings withMaxRecords(int max) {
    return copy(port, dataDir, jwtCertificate, apiDailyLimit, max);
  }

  /**
   * This record with the components the {@code with*} copies change set as given, every other
   * component kept: the one place the copies list all eighteen.
   */
  private SalesforceSandboxSettings copy(
      int port, Path dataDir, String jwtCertificate, long apiDailyLimit, int maxRecords) {
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
        apiDailyLimit,
        eventRetentionHours,
        eventRetentionMax,
        maxRecords);
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
        + ", maxRecords="
        + maxRecords
        + "]";
  }
}
