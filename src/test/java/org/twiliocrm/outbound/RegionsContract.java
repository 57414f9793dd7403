package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.http.Forms;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.twilio.TwilioSignature;

/**
 * Twilio Regions end to end (docs/regions.md): the whole connector with {@code twilio.region=ie1}
 * and {@code twilio.edge=dublin}, its own Twilio sandbox (started per class: no sandbox state is
 * shared with other tests) answering on the regional host with the region's own token. Each test
 * uses its own handset numbers and sends from a plain number (no Messaging Service pool).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RegionsContract {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final AtomicInteger NEXT = new AtomicInteger(300);
  private static final String SENDER = "+15005550006";
  private static final String ACCOUNT = TwilioSandboxSettings.DEFAULT_ACCOUNT_SID;
  private static final String US_TOKEN = TwilioSandboxSettings.DEFAULT_AUTH_TOKEN;
  private static final String IE1_TOKEN = "regions-it-ie1-token";

  abstract TestDatabase.Kind kind();

  TestDatabase database;
  TestConnector connector;
  String twilio;
  String publicUrl;

  @BeforeAll
  void start() throws Exception {
    database = TestDatabase.of(kind(), "regions");
    connector =
        TestConnector.on(database)
            .property("twilio.region", "ie1")
            .property("twilio.edge", "dublin")
            // The sandbox's account in ie1 has a token of its own; the connector learns it from
            // the sandbox as it learns the us1 one (sandbox mode).
            .twilio("region-auth-tokens", "ie1:" + IE1_TOKEN + ",au1:regions-it-au1-token")
            .twilio("numbers", SENDER)
            .property("outbox.poll-interval", "200ms")
            .property("crm.events.enabled", "false")
            .start();
    twilio = connector.property("twilio.base-url");
    publicUrl = "http://127.0.0.1:" + connector.port();
  }

  @AfterAll
  void stop() {
    if (connector != null) {
      connector.close();
    }
    if (database != null) {
      database.close();
    }
  }

  static String handset() {
    return "+1415556" + String.format("%04d", NEXT.incrementAndGet());
  }

  /**
   * A row goes out through the regional host (the sandbox records the region it was created in),
   * and its status callbacks, signed by the sandbox with the ie1 token and sent to a URL naming
   * ?region=ie1, are accepted: the row reaches delivered.
   */
  @Test
  void aSendGoesThroughTheRegionalHostAndItsSignedCallbacksAreAccepted() throws Exception {
    String to = handset();
    String key = "region-" + NEXT.incrementAndGet();
    database.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)"
            + " VALUES (?, 'sms', ?, ?, 'Hello from ie1')",
        key,
        to,
        SENDER);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                "delivered"
                    .equals(
                        database.string(
                            "SELECT twilio_status FROM outbox_message WHERE idempotency_key = ?",
                            key)));
    String sid =
        database.string("SELECT twilio_sid FROM outbox_message WHERE idempotency_key = ?", key);
    JsonNode m = get(twilio + "/sandbox/messages/" + sid);
    assertThat(m.path("region").asText()).isEqualTo("ie1");
    assertThat(m.path("status_callback").asText())
        .startsWith(publicUrl + "/webhooks/twilio/message-status?region=ie1");
    // The sandbox's callbacks were accepted, none refused for its signature.
    int accepted = 0;
    for (JsonNode e : m.path("events")) {
      if ("callback".equals(e.path("type").asText())) {
        assertThat(e.path("httpStatus").asInt()).as("callback %s", e).isNotEqualTo(403);
        accepted += e.path("httpStatus").asInt() == 200 ? 1 : 0;
      }
    }
    assertThat(accepted).as("accepted callbacks in %s", m).isGreaterThan(0);
  }

  /** At the regional host only the region's token is valid, as at Twilio. */
  @Test
  void theSandboxRegionalHostRefusesTheUsToken() throws Exception {
    String path = "/2010-04-01/Accounts/" + ACCOUNT + "/Messages.json";
    String form = "To=" + enc(handset()) + "&From=" + enc(SENDER) + "&Body=hi";
    HttpResponse<String> us = createAt("api.dublin.ie1.twilio.com", US_TOKEN, path, form);
    assertThat(us.statusCode()).isEqualTo(401);
    HttpResponse<String> ie = createAt("api.dublin.ie1.twilio.com", IE1_TOKEN, path, form);
    assertThat(ie.statusCode()).isEqualTo(201);
    HttpResponse<String> home = createAt("api.twilio.com", US_TOKEN, path, form);
    assertThat(home.statusCode()).isEqualTo(201);
  }

  /**
   * The connector's webhook checks a callback with the token of the region its URL names: signed
   * with the ie1 token it is accepted, with the US token refused 403 with a readable reason, and an
   * unconfigured region is refused by name. No stack trace, just the reason code.
   */
  @Test
  void aCallbackSignedWithTheUsTokenIsRefused() throws Exception {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("AccountSid", ACCOUNT);
    form.put("MessageSid", "SM" + "0".repeat(28) + String.format("%04d", NEXT.incrementAndGet()));
    form.put("MessageStatus", "sent");
    form.put("From", SENDER);
    form.put("To", handset());
    String path = "/webhooks/twilio/message-status?region=ie1";

    HttpResponse<String> us = callback(path, form, US_TOKEN);
    assertThat(us.statusCode()).isEqualTo(403);
    assertThat(us.body().trim()).isEqualTo("bad-signature");

    HttpResponse<String> ie = callback(path, form, IE1_TOKEN);
    assertThat(ie.statusCode()).isEqualTo(200);

    // No ?region=: twilio.region (ie1) decides, so the US token is refused there too.
    HttpResponse<String> bare = callback("/webhooks/twilio/message-status", form, US_TOKEN);
    assertThat(bare.statusCode()).isEqualTo(403);

    HttpResponse<String> unknown =
        callback("/webhooks/twilio/message-status?region=jp1", form, IE1_TOKEN);
    assertThat(unknown.statusCode()).isEqualTo(403);
    assertThat(unknown.body().trim()).isEqualTo("unknown-region");
  }

  /**
   * An inbound message to a number homed in ie1 is signed with the ie1 token and reaches the
   * connector's inbound URL, which names the region.
   */
  @Test
  void anInboundMessageToARegionalNumberIsAccepted() throws Exception {
    String from = handset();
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(twilio + "/sandbox/handsets/" + enc(from) + "/messages"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"to\":\"" + SENDER + "\",\"body\":\"hello\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isLessThan(300);
    JsonNode webhook = JSON.readTree(r.body()).path("webhook");
    assertThat(webhook.path("url").asText())
        .isEqualTo(publicUrl + "/webhooks/twilio/inbound?region=ie1");
    assertThat(webhook.path("httpStatus").asInt()).isEqualTo(200);
  }

  private HttpResponse<String> callback(String path, Map<String, String> form, String token)
      throws Exception {
    String signature = new TwilioSignature(token).signSingle(publicUrl + path, form);
    Map<String, java.util.List<String>> multi = new LinkedHashMap<>();
    form.forEach((k, v) -> multi.put(k, java.util.List.of(v)));
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(publicUrl + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Twilio-Signature", signature)
            .POST(HttpRequest.BodyPublishers.ofString(Forms.encode(multi)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> createAt(String host, String token, String path, String form)
      throws Exception {
    // The JDK client refuses to set Host; a raw socket request says it as twilio-java would.
    URI base = URI.create(twilio);
    try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
      String auth =
          Base64.getEncoder()
              .encodeToString((ACCOUNT + ":" + token).getBytes(StandardCharsets.UTF_8));
      byte[] body = form.getBytes(StandardCharsets.UTF_8);
      String head =
          "POST "
              + path
              + " HTTP/1.1\r\nHost: "
              + host
              + "\r\nAuthorization: Basic "
              + auth
              + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
              + body.length
              + "\r\nConnection: close\r\n\r\n";
      s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().write(body);
      s.getOutputStream().flush();
      s.setSoTimeout(30_000);
      String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(response.substring(9, 12));
      int split = response.indexOf("\r\n\r\n");
      String text = split < 0 ? "" : response.substring(split + 4);
      return new SimpleResponse(status, text);
    }
  }

  private static JsonNode get(String url) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(url + " " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Status and body of a hand-written HTTP/1.1 exchange. */
  private record SimpleResponse(int statusCode, String body) implements HttpResponse<String> {
    @Override
    public HttpRequest request() {
      return null;
    }

    @Override
    public java.util.Optional<HttpResponse<String>> previousResponse() {
      return java.util.Optional.empty();
    }

    @Override
    public java.net.http.HttpHeaders headers() {
      return java.net.http.HttpHeaders.of(Map.of(), (a, b) -> true);
    }

    @Override
    public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
      return java.util.Optional.empty();
    }

    @Override
    public URI uri() {
      return null;
    }

    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }
  }
}
