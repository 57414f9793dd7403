package org.twiliocrm.config;

import java.time.Duration;

/**
 * The connector's core configuration, typed and validated once at start-up. Each flow reads its own
 * keys from the same source; this record holds what the runtime itself needs.
 */
public record ConnectorConfig(
    Mode mode,
    Http http,
    Db db,
    Dsl dsl,
    TwilioCredentials twilio,
    SalesforceCredentials salesforce) {

  public record Http(String host, int port, String publicUrl, boolean trustForwardedHeaders) {}

  /**
   * @param startupTimeout how long start-up keeps trying to reach the database before giving up
   * @param requireDurableCommits refuse to start when the database server's own settings let a
   *     commit return before it is durable (false: warn at every start instead)
   */
  public record Db(
      String url,
      String user,
      String password,
      int poolSize,
      Duration connectTimeout,
      Duration startupTimeout,
      boolean requireDurableCommits) {
    /** The defaults of the two start-up keys: 60 s of retries, durable commits required. */
    public Db(String url, String user, String password, int poolSize, Duration connectTimeout) {
      this(url, user, password, poolSize, connectTimeout, Duration.ofSeconds(60), true);
    }

    public Vendor vendor() {
      return Vendor.of(url);
    }
  }

  /** Where the YAML routes and kamelets are read from; the packaged copies are the fallback. */
  public record Dsl(String routesLocation, String kameletsLocation) {}

  public record TwilioCredentials(
      String accountSid, String authToken, String apiKey, String apiSecret) {
    public boolean present() {
      return accountSid != null;
    }

    @Override
    public String toString() {
      return "TwilioCredentials[accountSid="
          + accountSid
          + ", authToken="
          + Redaction.secret(authToken)
          + ", apiKey="
          + apiKey
          + ", apiSecret="
          + Redaction.secret(apiSecret)
          + "]";
    }
  }

  public record SalesforceCredentials(
      String loginUrl,
      String grant,
      String clientId,
      String clientSecret,
      String username,
      String password,
      String keystore,
      String keystorePassword) {
    @Override
    public String toString() {
      return "SalesforceCredentials[loginUrl="
          + loginUrl
          + ", grant="
          + grant
          + ", clientId="
          + clientId
          + ", clientSecret="
          + Redaction.secret(clientSecret)
          + ", username="
          + username
          + ", password="
          + Redaction.secret(password)
          + "]";
    }
  }

  /** The database kinds the connector ships migrations and claim statements for. */
  public enum Vendor {
    H2,
    POSTGRESQL,
    MARIADB;

    public static Vendor of(String jdbcUrl) {
      if (jdbcUrl.startsWith("jdbc:h2:")) {
        return H2;
      }
      if (jdbcUrl.startsWith("jdbc:postgresql:")) {
        return POSTGRESQL;
      }
      if (jdbcUrl.startsWith("jdbc:mariadb:") || jdbcUrl.startsWith("jdbc:mysql:")) {
        return MARIADB;
      }
      throw new ConfigException(
          "connector.db.url",
          "must start with jdbc:h2:, jdbc:postgresql: or jdbc:mariadb:, got '"
              + Redaction.jdbcUrl(jdbcUrl)
              + "'");
    }
  }

  public static ConnectorConfig from(ConfigSource source) {
    return from(new Settings(source::get));
  }

  public static ConnectorConfig from(Settings s) {
    int port = s.integer("connector.http.port", 8080, 0, 65535);
    Http http =
        new Http(
            s.string("connector.http.host", "0.0.0.0"),
            port,
            s.httpUrl("connector.public-url", "http://localhost:" + port),
            s.bool("connector.http.trust-forwarded-headers", false));
    String url = s.string("connector.db.url", "jdbc:h2:file:./data/connector;AUTO_SERVER=TRUE");
    Vendor.of(url);
    Db db =
        new Db(
            url,
            s.string("connector.db.user", null),
            s.string("connector.db.password", null),
            s.integer("connector.db.pool-size", 10, 1, 500),
            s.duration("connector.db.connect-timeout", Duration.ofSeconds(5)),
            s.duration("connector.db.startup-timeout", Duration.ofSeconds(60)),
            s.bool("connector.db.require-durable-commits", true));
    Dsl dsl =
        new Dsl(
            s.string("connector.routes.location", "routes"),
            s.string("connector.kamelets.location", "kamelets"));

    TwilioCredentials twilio =
        new TwilioCredentials(
            s.matching(
                "twilio.account-sid",
                "AC[0-9a-fA-F]{32}",
                "an Account SID: AC followed by 32 hex digits"),
            s.raw("twilio.auth-token"),
            s.matching(
                "twilio.api-key",
                "SK[0-9a-fA-F]{32}",
                "an API key SID: SK followed by 32 hex digits"),
            s.raw("twilio.api-secret"));
    SalesforceCredentials sf =
        new SalesforceCredentials(
            s.httpUrl("salesforce.login-url", "https://login.salesforce.com"),
            s.string("salesforce.grant", "password"),
            s.raw("salesforce.client-id"),
            s.raw("salesforce.client-secret"),
            s.raw("salesforce.username"),
            s.raw("salesforce.password"),
            s.raw("salesforce.keystore"),
            s.raw("salesforce.keystore-password"));

    Mode mode = s.enumeration("connector.mode", Mode.class, Mode.AUTO);
    if (mode == Mode.AUTO) {
      mode = twilio.present() ? Mode.LIVE : Mode.SANDBOX;
    }
    if (mode == Mode.LIVE) {
      requireLiveCredentials(s, twilio, sf);
    }
    return new ConnectorConfig(mode, http, db, dsl, twilio, sf);
  }

  private static void requireLiveCredentials(
      Settings s, TwilioCredentials t, SalesforceCredentials sf) {
    String why = "in live mode";
    s.required("twilio.account-sid", why);
    if (t.apiKey() != null || t.apiSecret() != null) {
      s.required("twilio.api-key", why + " when twilio.api-secret is set");
      s.required("twilio.api-secret", why + " when twilio.api-key is set");
    } else {
      s.required("twilio.auth-token", why + " (or twilio.api-key with twilio.api-secret)");
    }
    s.required("salesforce.client-id", why);
    switch (sf.grant()) {
      case "password" -> {
        s.required("salesforce.client-secret", why + " with the password grant");
        s.required("salesforce.username", why + " with the password grant");
        s.required("salesforce.password", why + " with the password grant");
      }
      case "client-credentials" ->
          s.required("salesforce.client-secret", why + " with the client-credentials grant");
      case "jwt" -> {
        s.required("salesforce.username", why + " with the jwt grant");
        s.required("salesforce.keystore", why + " with the jwt grant");
        s.required("salesforce.keystore-password", why + " with the jwt grant");
      }
      default ->
          throw new ConfigException(
              "salesforce.grant",
              "must be one of password, client-credentials, jwt, got '" + sf.grant() + "'");
    }
  }
}
