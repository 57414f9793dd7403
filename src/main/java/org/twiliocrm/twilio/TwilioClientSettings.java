package org.twiliocrm.twilio;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.Key;
import org.twiliocrm.config.Settings;

/**
 * How the connector reaches Twilio (or the sandbox).
 *
 * @param baseUrl where every Twilio request is sent, e.g. {@code http://127.0.0.1:8089}; null means
 *     real Twilio ({@code https://*.twilio.com})
 * @param accountSid the account in every path (AC...)
 * @param authToken the account's auth token (used when no API key is set; also signs webhooks)
 * @param apiKey optional API key SID (SK...); with {@code apiSecret} it replaces the auth token for
 *     REST calls
 * @param apiSecret the API key's secret
 * @param maxConnections pooled HTTP connections to Twilio, total and per host
 * @param connectTimeoutMillis TCP connect timeout
 * @param responseTimeoutMillis how long to wait for a response
 * @param region the Twilio Region and edge every request goes to ({@code twilio.region}, {@code
 *     twilio.edge}); twilio-java puts them in the host name; null: Twilio's default region (us1)
 * @param regionAuthTokens region -> the account's auth token in that region (Twilio issues
 *     region-specific credentials); the configured region's one authenticates REST calls; null:
 *     none
 */
public record TwilioClientSettings(
    String baseUrl,
    String accountSid,
    String authToken,
    String apiKey,
    String apiSecret,
    int maxConnections,
    int connectTimeoutMillis,
    int responseTimeoutMillis,
    TwilioRegion region,
    Map<String, String> regionAuthTokens) {

  public TwilioClientSettings {
    region = Objects.requireNonNullElseGet(region, () -> new TwilioRegion(null, null));
    regionAuthTokens = Map.copyOf(Objects.requireNonNullElse(regionAuthTokens, Map.of()));
    if (baseUrl != null) {
      URI uri;
      try {
        uri = URI.create(baseUrl);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("twilio.base-url: not a URL, got '" + baseUrl + "'");
      }
      if (uri.getHost() == null
          || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new IllegalArgumentException(
            "twilio.base-url: must be http(s)://host[:port], got '" + baseUrl + "'");
      }
    }
    if (accountSid == null || !accountSid.matches("AC[0-9a-fA-F]{32}")) {
      throw new IllegalArgumentException(
          "twilio.account-sid: must be AC followed by 32 hex digits, got '" + accountSid + "'");
    }
    if ((apiKey == null) != (apiSecret == null)) {
      throw new IllegalArgumentException("twilio.api-key/twilio.api-secret: set both or neither");
    }
    if (apiKey == null
        && (authToken == null || authToken.isEmpty())
        && !regionAuthTokens.containsKey(region.effectiveRegion())) {
      throw new IllegalArgumentException(
          "twilio.auth-token: required unless twilio.api-key and twilio.api-secret are set");
    }
  }

  // Each key declared once (see ConfigReferenceTest); the credentials are ConnectorConfig's.
  public static final Key<String> BASE_URL =
      Key.string(
          "twilio.base-url",
          "",
          "Where the connector sends Twilio API requests, e.g. http://127.0.0.1:8089 for the"
              + " sandbox (empty = real Twilio).");
  public static final Key<Integer> MAX_CONNECTIONS =
      Key.integer(
          "twilio.max-connections",
          200,
          1,
          10_000,
          "Pooled HTTP connections to Twilio, total and per host (the SDK's default is 20 per"
              + " host).");
  public static final Key<Integer> CONNECT_TIMEOUT_MILLIS =
      Key.integer(
          "twilio.connect-timeout-millis",
          5_000,
          1,
          600_000,
          "TCP connect timeout to Twilio in milliseconds.");
  public static final Key<Integer> RESPONSE_TIMEOUT_MILLIS =
      Key.integer(
          "twilio.response-timeout-millis",
          30_000,
          1,
          600_000,
          "How long to wait for Twilio's response in milliseconds.");

  public static final Key<String> REGION =
      Key.string(
          "twilio.region",
          "",
          "Twilio Region every API call goes to, e.g. ie1 or au1 (empty = Twilio's default, us1);"
              + " callbacks are then checked with that region's auth token.");
  public static final Key<String> EDGE =
      Key.string(
          "twilio.edge",
          "",
          "Twilio edge location every API call enters by, e.g. dublin or sydney (empty = the"
              + " region's default).");
  public static final Key<Map<String, String>> REGION_AUTH_TOKENS =
      Key.custom(
          "twilio.region-auth-tokens",
          "secret",
          "",
          "region:authToken,...",
          "Auth tokens of twilio.account-sid per Twilio Region, region:authToken comma-separated"
              + " (Twilio issues region-specific credentials); the twilio.region one authenticates"
              + " API calls, each signs the callbacks of its region; a secret: set"
              + " TWILIO_REGION_AUTH_TOKENS (empty = none).",
          (s, k) -> TwilioRegion.tokens(k.name(), s.raw(k.name())));

  public static final List<Key<?>> KEYS =
      List.of(
          BASE_URL,
          REGION,
          EDGE,
          REGION_AUTH_TOKENS,
          MAX_CONNECTIONS,
          CONNECT_TIMEOUT_MILLIS,
          RESPONSE_TIMEOUT_MILLIS);

  /** The configured region and edge (Twilio's default when neither is set). */
  public static TwilioRegion region(Function<String, String> lookup) {
    Settings s = new Settings(lookup);
    return new TwilioRegion(REGION.read(s), EDGE.read(s));
  }

  public static TwilioClientSettings from(Function<String, String> lookup) {
    Settings s = new Settings(lookup);
    // The SID and key are checked here, by the record, so that the message says what the
    // client needs; ConnectorConfig checks their syntax once more at start-up.
    return new TwilioClientSettings(
        BASE_URL.read(s),
        s.raw(ConnectorConfig.TWILIO_ACCOUNT_SID.name()),
        ConnectorConfig.TWILIO_AUTH_TOKEN.read(s),
        s.raw(ConnectorConfig.TWILIO_API_KEY.name()),
        ConnectorConfig.TWILIO_API_SECRET.read(s),
        MAX_CONNECTIONS.read(s),
        CONNECT_TIMEOUT_MILLIS.read(s),
        RESPONSE_TIMEOUT_MILLIS.read(s),
        new TwilioRegion(REGION.read(s), EDGE.read(s)),
        REGION_AUTH_TOKENS.read(s));
  }

  /** The user name for HTTP Basic auth: the API key when set, else the account SID. */
  public String username() {
    return apiKey != null ? apiKey : accountSid;
  }

  /**
   * The password for HTTP Basic auth: the API secret when set, else the configured region's auth
   * token from {@code twilio.region-auth-tokens}, else {@code twilio.auth-token}.
   */
  public String password() {
    if (apiKey != null) {
      return apiSecret;
    }
    return regionAuthTokens.getOrDefault(region.effectiveRegion(), authToken);
  }

  @Override
  public String toString() {
    // Secrets never reach a log line.
    return "TwilioClientSettings[baseUrl="
        + (baseUrl == null ? "(real Twilio)" : baseUrl)
        + ", accountSid="
        + accountSid
        + ", region="
        + region.label()
        + ", auth="
        + (apiKey != null
            ? "api-key " + apiKey
            : regionAuthTokens.containsKey(region.effectiveRegion())
                ? region.effectiveRegion() + " auth-token"
                : "auth-token")
        + ", maxConnections="
        + maxConnections
        + ", connectTimeoutMillis="
        + connectTimeoutMillis
        + ", responseTimeoutMillis="
        + responseTimeoutMillis
        + "]";
  }
}
