package org.twiliocrm.webhook;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.twiliocrm.app.ConnectorApp;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.testsupport.TestHttp;
import org.twiliocrm.twilio.TwilioSignature;

/**
 * The whole stack over real sockets, for the webhook tests: a fresh PostgreSQL schema and the
 * connector as shipped (TestConnector) with its Twilio and Salesforce sandboxes on free ports; the
 * outbox and CRM events off. Adds the webhook tests' helpers (signed posts, sandbox control).
 */
public final class WebhookStack implements AutoCloseable {
  public static final String ACCOUNT = TwilioSandboxSettings.DEFAULT_ACCOUNT_SID;
  public static final String TOKEN = TwilioSandboxSettings.DEFAULT_AUTH_TOKEN;
  public static final String SUB_ACCOUNT = "AC11111111111111111111111111111111";
  public static final String SUB_TOKEN = "sub-account-token";
  public static final String NUMBER = "+15005550006";

  public final TestDatabase database;
  public final ConnectorConfig.Db db;
  public final TwilioSandbox twilio;
  public final SalesforceSandbox salesforce;
  public final TestConnector connector;
  public final ConnectorApp app;
  public final int port;
  public final String publicUrl;
  public final HttpClient http = TestHttp.client();
  private final TestHttp control = new TestHttp();

  public WebhookStack(Map<String, String> overrides) throws Exception {
    database = TestDatabase.postgres("webhooks");
    db = database.config();
    try {
      connector =
          TestConnector.on(database)
              .property("outbox.enabled", "false")
              // The CRM event subscription's CometD polls would count against the org's API calls,
              // which the write-back test measures.
              .property("crm.events.enabled", "false")
              .property("webhook.auth-tokens", SUB_ACCOUNT + ":" + SUB_TOKEN)
              .property("webhook.crm.writeback.initial-backoff-millis", "200")
              .property("webhook.crm.writeback.max-backoff-millis", "1000")
              .property("webhook.process.poll-millis", "200")
              .twilio("accounts", ACCOUNT + ":" + TOKEN)
              .properties(overrides)
              .start();
    } catch (Exception | Error e) {
      database.close();
      throw e;
    }
    app = connector.app();
    port = connector.port();
    publicUrl = connector.baseUrl();
    // The connector started both emulators (free ports) and points its production clients at
    // them; the test drives the same instances.
    twilio = connector.twilio();
    salesforce = connector.salesforce();
  }

  /** Posts a form signed as Twilio would for {@code url} (as Twilio called it). */
  HttpResponse<String> postSigned(
      String path, Map<String, String> form, String token, Map<String, String> headers)
      throws Exception {
    String signature = new TwilioSignature(token).signSingle(publicUrl + path, form);
    return post(path, form, signature, headers);
  }

  HttpResponse<String> post(
      String path, Map<String, String> form, String signature, Map<String, String> headers)
      throws Exception {
    Map<String, List<String>> multi = new java.util.TreeMap<>();
    form.forEach((k, v) -> multi.put(k, List.of(v)));
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(WebhookGate.encodeForm(multi)));
    if (signature != null) {
      b.header("X-Twilio-Signature", signature);
    }
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header(
                "Authorization",
                org.twiliocrm.testsupport.TestOperators.bearer(
                    org.twiliocrm.testsupport.TestOperators.VIEWER_TOKEN))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  public long count(String sql, Object... args) {
    return database.count(sql, args);
  }

  String string(String sql, Object... args) {
    return database.string(sql, args);
  }

  void exec(String sql, Object... args) {
    database.exec(sql, args);
  }

  /** Calls a Twilio sandbox control endpoint with a JSON body. */
  HttpResponse<String> twilioControl(String method, String path, String json) {
    return control.sendJson(method, twilio.baseUrl() + path, json);
  }

  /** Creates a message in the Twilio sandbox with our status callback (plain HTTP, Basic auth). */
  HttpResponse<String> createMessage(String to, String body) throws Exception {
    String form =
        "To="
            + enc(to)
            + "&From="
            + enc(NUMBER)
            + "&Body="
            + enc(body)
            + "&StatusCallback="
            + enc(publicUrl + "/webhooks/twilio/message-status");
    return control.send(
        "POST",
        twilio.baseUrl() + "/2010-04-01/Accounts/" + ACCOUNT + "/Messages.json",
        "application/x-www-form-urlencoded",
        form.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "Authorization",
        TestHttp.basic(ACCOUNT, TOKEN));
  }

  static String enc(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    // Stopping the connector also stops the emulators it started.
    try {
      connector.close();
    } finally {
      database.close();
    }
  }
}
