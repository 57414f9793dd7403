package org.twiliocrm.twilio;

import java.net.URI;
import java.util.List;
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
 */
public record TwilioClientSettings(
    String baseUrl,
    String accountSid,
    String authToken,
    String apiKey,
    String apiSecret,
    int maxConnections,
    int connectTimeoutMillis,
    int responseTimeoutMillis) {

  public TwilioClientSettings {
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
    if (apiKey == null && (authToken == null || authToken.isEmpty())) {
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

  public static final List<Key<?>> KEYS =
      List.of(BASE_URL, MAX_CONNECTIONS, CONNECT_TIMEOUT_MILLIS, RESPONSE_TIMEOUT_MILLIS);

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
        RESPONSE_TIMEOUT_MILLIS.read(s));
  }

  /** The user name for HTTP Basic auth: the API key when set, else the account SID. */
  public String username() {
    return apiKey != null ? apiKey : accountSid;
  }

  /** The password for HTTP Basic auth: the API secret when set, else the auth token. */
  public String password() {
    return apiKey != null ? apiSecret : authToken;
  }

  @Override
  public String toString() {
    // Secrets never reach a log line.
    return "TwilioClientSettings[baseUrl="
        + (baseUrl == null ? "(real Twilio)" : baseUrl)
        + ", accountSid="
        + accountSid
        + ", auth="
        + (apiKey != null ? "api-key " + apiKey : "auth-token")
        + ", maxConnections="
        + maxConnections
        + ", connectTimeoutMillis="
        + connectTimeoutMillis
        + ", responseTimeoutMillis="
        + responseTimeoutMillis
        + "]";
  }
}
