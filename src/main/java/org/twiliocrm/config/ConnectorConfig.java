package org.twiliocrm.config;

import java.time.Duration;
import java.util.List;

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

  // Each key declared once: name, default, range and description (the reference and
  // application.properties are checked against these, see ConfigReferenceTest).
  public static final Key<Mode> MODE =
      Key.enumeration(
          "connector.mode",
          Mode.class,
          Mode.AUTO,
          "sandbox, live, or auto (live when twilio.account-sid is set, otherwise sandbox).");
  public static final Key<String> HTTP_HOST =
      Key.string(
          "connector.http.host",
          "0.0.0.0",
          "Interface the one HTTP server (webhooks, health, metrics) binds to.");
  public static final Key<Integer> HTTP_PORT =
      Key.integer(
          "connector.http.port",
          8080,
          0,
          65535,
          "Port of the one HTTP server (webhooks, /observe/health, /observe/metrics).");
  public static final Key<String> PUBLIC_URL =
      Key.httpUrl(
          "connector.public-url",
          "",
          "URL at which Twilio reaches this connector; webhook signatures are checked against it."
              + " Empty: http://localhost:<port>.");
  public static final Key<Boolean> TRUST_FORWARDED_HEADERS =
      Key.bool(
          "connector.http.trust-forwarded-headers",
          false,
          "Trust X-Forwarded-Proto/Host from a reverse proxy when rebuilding the URL Twilio signed.");
  public static final Key<String> ROUTES_LOCATION =
      Key.string(
          "connector.routes.location",
          "routes",
          "Directories of YAML routes, comma-separated (a ConfigMap mount in Kubernetes); the"
              + " routes packaged in the jar are used when none exists.");
  public static final Key<String> KAMELETS_LOCATION =
      Key.string(
          "connector.kamelets.location",
          "kamelets",
          "Directory of kamelets; the packaged kamelets are the fallback.");
  public static final Key<Boolean> DEV =
      Key.bool(
          "connector.dev",
          false,
          "Dev mode (also java -jar ... --dev): edited routes, kamelets, rules, templates and"
              + " policies reload while the connector runs (the README gives the measured times);"
              + " a broken edit is reported with file:line and the last good version keeps"
              + " running.");
  public static final Key<Boolean> RELOAD_ENABLED =
      Key.bool(
          "connector.reload.enabled",
          false,
          "Reload edited routes, kamelets, rules, templates and policies outside dev mode too"
              + " (e.g. on ConfigMap updates), by the same rules.");
  public static final Key<Duration> DRAIN_TIMEOUT =
      Key.duration(
          "connector.drain-timeout",
          "20s",
          "On SIGTERM, how long the connector waits for the outbox rows it has claimed to be sent"
              + " and recorded (readiness DOWN, no new claims, webhooks 503) before it stops its"
              + " routes; also Camel's own shutdown timeout. Keep twice this plus the preStop"
              + " pause below the pod's terminationGracePeriodSeconds.");
  public static final Key<String> DB_URL =
      Key.custom(
          "connector.db.url",
          "string",
          "jdbc:h2:file:./data/connector;AUTO_SERVER=TRUE",
          "jdbc:h2:, jdbc:postgresql:, jdbc:mariadb:",
          "JDBC URL. Default: an embedded H2 file under ./data. PostgreSQL:"
              + " jdbc:postgresql://host:5432/db. MariaDB: jdbc:mariadb://host:3306/db.",
          (s, k) -> {
            String url = k.rawOrDefault(s);
            Vendor.of(url);
            return url;
          });
  public static final Key<String> DB_USER =
      Key.string("connector.db.user", "", "Database user (empty for the embedded default).");
  public static final Key<String> DB_PASSWORD =
      Key.secret(
          "connector.db.password",
          "Database password; a secret: set CONNECTOR_DB_PASSWORD, never commit it.");
  public static final Key<Integer> DB_POOL_SIZE =
      Key.integer(
          "connector.db.pool-size",
          10,
          2,
          500,
          "Maximum connections in the pool (at least 2: the schema migration needs two).");
  public static final Key<Duration> DB_CONNECT_TIMEOUT =
      Key.duration(
          "connector.db.connect-timeout",
          "5s",
          "How long to wait for a database connection before failing (500ms, 5s, ...).");
  public static final Key<Duration> DB_STARTUP_TIMEOUT =
      Key.duration(
          "connector.db.startup-timeout",
          "60s",
          "How long start-up keeps retrying an unreachable database (with backoff, logging each"
              + " attempt) before it gives up.");
  public static final Key<Boolean> DB_REQUIRE_DURABLE_COMMITS =
      Key.bool(
          "connector.db.require-durable-commits",
          true,
          "Refuse to start when the database server lets a commit return before it is durable"
              + " (MariaDB innodb_flush_log_at_trx_commit other than 1, PostgreSQL fsync=off);"
              + " false only warns. See docs/durability.md.");
  public static final Key<String> TWILIO_ACCOUNT_SID =
      Key.matching(
          "twilio.account-sid",
          "AC[0-9a-fA-F]{32}",
          "an Account SID: AC followed by 32 hex digits",
          "Twilio Account SID (AC...). Setting it switches connector.mode=auto to live.");
  public static final Key<String> TWILIO_AUTH_TOKEN =
      Key.secret(
          "twilio.auth-token",
          "Twilio auth token; a secret: set TWILIO_AUTH_TOKEN. Also the key that signs webhooks.");

  /** Read by the webhook settings: the second token signs beside the first during a rotation. */
  public static final Key<String> TWILIO_SECONDARY_AUTH_TOKEN =
      Key.secret(
          "twilio.secondary-auth-token",
          "Second auth token of twilio.account-sid while Twilio rotates it: webhooks signed with"
              + " either are accepted; a secret: set TWILIO_SECONDARY_AUTH_TOKEN (empty = none).");

  public static final Key<String> TWILIO_API_KEY =
      Key.matching(
          "twilio.api-key",
          "SK[0-9a-fA-F]{32}",
          "an API key SID: SK followed by 32 hex digits",
          "Optional Twilio API key SID (SK...) used instead of the auth token for REST calls.");
  public static final Key<String> TWILIO_API_SECRET =
      Key.secret("twilio.api-secret", "Secret of twilio.api-key; a secret: set TWILIO_API_SECRET.");
  public static final Key<String> SALESFORCE_LOGIN_URL =
      Key.httpUrl(
          "salesforce.login-url",
          "https://login.salesforce.com",
          "Salesforce login URL (https://test.salesforce.com for a sandbox org).");
  public static final Key<String> SALESFORCE_GRANT =
      Key.string(
          "salesforce.grant",
          "password",
          "OAuth grant for Salesforce: password, client-credentials or jwt.");
  public static final Key<String> SALESFORCE_CLIENT_ID =
      Key.string("salesforce.client-id", "", "Connected app consumer key.");
  public static final Key<String> SALESFORCE_CLIENT_SECRET =
      Key.secret(
          "salesforce.client-secret",
          "Connected app consumer secret; a secret: set SALESFORCE_CLIENT_SECRET.");
  public static final Key<String> SALESFORCE_USERNAME =
      Key.string("salesforce.username", "", "Integration user name (password and jwt grants).");
  public static final Key<String> SALESFORCE_PASSWORD =
      Key.secret(
          "salesforce.password",
          "Integration user password plus security token; a secret: set SALESFORCE_PASSWORD.");
  public static final Key<String> SALESFORCE_KEYSTORE =
      Key.string(
          "salesforce.keystore", "", "Keystore (PKCS12) holding the JWT signing key (jwt grant).");
  public static final Key<String> SALESFORCE_KEYSTORE_PASSWORD =
      Key.secret(
          "salesforce.keystore-password",
          "Keystore password; a secret: set SALESFORCE_KEYSTORE_PASSWORD.");

  /** The core and credential keys, in the order application.properties lists them. */
  public static final List<Key<?>> KEYS =
      List.of(
          MODE,
          HTTP_HOST,
          HTTP_PORT,
          PUBLIC_URL,
          TRUST_FORWARDED_HEADERS,
          ROUTES_LOCATION,
          KAMELETS_LOCATION,
          DEV,
          RELOAD_ENABLED,
          DRAIN_TIMEOUT,
          DB_URL,
          DB_USER,
          DB_PASSWORD,
          DB_POOL_SIZE,
          DB_CONNECT_TIMEOUT,
          DB_STARTUP_TIMEOUT,
          DB_REQUIRE_DURABLE_COMMITS,
          TWILIO_ACCOUNT_SID,
          TWILIO_AUTH_TOKEN,
          TWILIO_SECONDARY_AUTH_TOKEN,
          TWILIO_API_KEY,
          TWILIO_API_SECRET,
          SALESFORCE_LOGIN_URL,
          SALESFORCE_GRANT,
          SALESFORCE_CLIENT_ID,
          SALESFORCE_CLIENT_SECRET,
          SALESFORCE_USERNAME,
          SALESFORCE_PASSWORD,
          SALESFORCE_KEYSTORE,
          SALESFORCE_KEYSTORE_PASSWORD);

  public static ConnectorConfig from(ConfigSource source) {
    return from(new Settings(source::get));
  }

  public static ConnectorConfig from(Settings s) {
    int port = HTTP_PORT.read(s);
    String publicUrl = PUBLIC_URL.read(s);
    Http http =
        new Http(
            HTTP_HOST.read(s),
            port,
            publicUrl != null ? publicUrl : "http://localhost:" + port,
            TRUST_FORWARDED_HEADERS.read(s));
    Db db =
        new Db(
            DB_URL.read(s),
            DB_USER.read(s),
            DB_PASSWORD.read(s),
            DB_POOL_SIZE.read(s),
            DB_CONNECT_TIMEOUT.read(s),
            DB_STARTUP_TIMEOUT.read(s),
            DB_REQUIRE_DURABLE_COMMITS.read(s));
    Dsl dsl = new Dsl(ROUTES_LOCATION.read(s), KAMELETS_LOCATION.read(s));

    TwilioCredentials twilio =
        new TwilioCredentials(
            TWILIO_ACCOUNT_SID.read(s),
            TWILIO_AUTH_TOKEN.read(s),
            TWILIO_API_KEY.read(s),
            TWILIO_API_SECRET.read(s));
    SalesforceCredentials sf =
        new SalesforceCredentials(
            SALESFORCE_LOGIN_URL.read(s),
            SALESFORCE_GRANT.read(s),
            SALESFORCE_CLIENT_ID.read(s),
            SALESFORCE_CLIENT_SECRET.read(s),
            SALESFORCE_USERNAME.read(s),
            SALESFORCE_PASSWORD.read(s),
            SALESFORCE_KEYSTORE.read(s),
            SALESFORCE_KEYSTORE_PASSWORD.read(s));

    Mode mode = MODE.read(s);
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
