package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.testsupport.ConnectorProcess;
import org.twiliocrm.testsupport.FreePort;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.testsupport.TestHttp;
import org.twiliocrm.twilio.TwilioSignature;

/**
 * Hostile and broken input against the packaged jar over real sockets (PostgreSQL, the shipped
 * routes and kamelet, plus one extra route built on that kamelet which throws): each refusal has
 * its status and reason, is counted in twiliocrm_webhook_rejected_total by reason, and leaves at
 * most one log line and never a stack trace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class WebhookInputIT {
  private static final String STATUS = "/webhooks/twilio/message-status";
  private static final String ACCOUNT = "AC00000000000000000000000000000000";
  private static final String TOKEN = "sandbox-auth-token";

  private Path work;
  private ConnectorProcess connector;
  private ConnectorConfig.Db db;
  private final HttpClient http = TestHttp.client();

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("webhook-input-it");
    db = TestDatabase.postgres("input").config();
    // The shipped routes plus one that fails inside the route, on the real kamelet.
    Path routes = Files.createDirectories(work.resolve("routes"));
    try (var files = Files.list(Path.of("routes"))) {
      for (Path f : files.toList()) {
        Files.copy(f, routes.resolve(f.getFileName()));
      }
    }
    Files.writeString(
        routes.resolve("test-forced-failure.camel.yaml"),
        """
        - route:
            id: test-forced-failure
            routeConfigurationId: twilio-webhook-endpoints
            from:
              uri: kamelet:twilio-webhook-source
              parameters:
                path: /webhooks/twilio/test-failure
                kind: call-status
              steps:
                - throwException:
                    exceptionType: java.lang.IllegalStateException
                    message: "forced failure for +14155550123"
        """);
    int port = FreePort.find();
    Path config = work.resolve("it.properties");
    Files.writeString(
        config,
        String.join(
            "\n",
            "sandbox.twilio.port=" + FreePort.find(),
            "sandbox.salesforce.port=" + FreePort.find(),
            "sandbox.salesforce.data-dir=" + work.resolve("sf"),
            "connector.public-url=http://127.0.0.1:" + port,
            "connector.routes.location=" + routes,
            "connector.kamelets.location=" + Path.of("kamelets").toAbsolutePath(),
            "connector.db.url=" + db.url(),
            "connector.db.user=" + db.user(),
            "crm.events.enabled=false",
            "outbox.enabled=false",
            ""));
    connector =
        ConnectorProcess.start(work, Map.of("CONNECTOR_CONFIG_FILE", config.toString()), port);
    connector.awaitReady(Duration.ofSeconds(120));
  }

  @AfterAll
  void stop() throws Exception {
    if (connector != null) {
      connector.close();
    }
  }

  private HttpResponse<String> post(String path, String contentType, String body, String sig)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(connector.baseUrl() + path))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (sig != null) {
      b.header("X-Twilio-Signature", sig);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private double rejected(String endpoint, String reason) throws Exception {
    String metrics = connector.get("/observe/metrics").body();
    Matcher m =
        Pattern.compile(
                "twiliocrm_webhook_rejected_total\\{endpoint=\""
                    + endpoint
                    + "\",reason=\""
                    + reason
                    + "\"\\} ([0-9.]+)")
            .matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  /** Log lines of the connector that mention this reason, after the call. */
  private long lines(String reason) {
    return connector
        .output()
        .lines()
        .filter(l -> l.contains("webhook rejected:") && l.contains(" " + reason + " "))
        .count();
  }

  private void assertQuiet() {
    String out = connector.output();
    assertThat(out).doesNotContain("\tat ").doesNotContain("Unhandled exception");
    assertThat(out).doesNotContain("Exception:").doesNotContain("+14155550123");
  }

  /** Sends one bad request and checks status, body, metric and log for its reason. */
  private void refusedOnce(String reason, int status, ThrowingSupplier request) throws Exception {
    refusedOnce("message-status", reason, status, request);
  }

  private void refusedOnce(String endpoint, String reason, int status, ThrowingSupplier request)
      throws Exception {
    double before = rejected(endpoint, reason);
    long linesBefore = lines(reason);
    HttpResponse<String> r = request.get();
    assertThat(r.statusCode()).as(reason).isEqualTo(status);
    assertThat(r.body().trim()).isEqualTo(reason);
    assertThat(r.headers().map().keySet())
        .noneMatch(h -> h.toLowerCase().startsWith("camel"))
        .noneMatch(h -> h.equalsIgnoreCase("X-Twilio-Signature"));
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(rejected(endpoint, reason)).isEqualTo(before + 1));
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(lines(reason)).isEqualTo(linesBefore + 1));
    assertQuiet();
  }

  interface ThrowingSupplier {
    HttpResponse<String> get() throws Exception;
  }

  @Test
  void brokenPercentEncodingIs400CountedAndOneLine() throws Exception {
    refusedOnce(
        "malformed-encoding",
        400,
        () ->
            post(
                STATUS, "application/x-www-form-urlencoded", "AccountSid=%zz&MessageSid=SM1", "x"));
  }

  @Test
  void oversizedBodyIs413BeforeItIsBuffered() throws Exception {
    // 2 MB, over webhook.max-body-bytes (64 KiB): refused from Content-Length.
    refusedOnce(
        "too-large",
        413,
        () ->
            post(
                STATUS, "application/x-www-form-urlencoded", "Body=" + "a".repeat(2_000_000), "x"));
  }

  @Test
  void aChunkedBodyOverTheLimitIs413() throws Exception {
    // No Content-Length (chunked), so the limit is met while the body is read.
    byte[] body = ("Body=" + "a".repeat(70_000)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    refusedOnce(
        "too-large",
        413,
        () ->
            http.send(
                HttpRequest.newBuilder(URI.create(connector.baseUrl() + STATUS))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("X-Twilio-Signature", "x")
                    .POST(
                        HttpRequest.BodyPublishers.ofInputStream(
                            () -> new java.io.ByteArrayInputStream(body)))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void aLongNonLatinMessageBodyIsAcceptedAndStoredWhole() throws Exception {
    // 1,600 characters (Twilio's most for a message body) of Chinese text: 14,400 bytes
    // percent-encoded, one field over Vert.x's 8 KB form-field limit, which refused it with 413
    // every time Twilio posted it. Under webhook.max-body-bytes, it is a webhook like any other.
    String text = "\u4e2d\u6587".repeat(800);
    Map<String, List<String>> form = new TreeMap<>();
    form.put("AccountSid", List.of(ACCOUNT));
    form.put("Body", List.of(text));
    form.put("From", List.of("+14155550123"));
    form.put("MessageSid", List.of("SMlongbody0000000000000000000001"));
    form.put("To", List.of("+14155550100"));
    String path = "/webhooks/twilio/inbound";
    String encoded = WebhookGate.encodeForm(form);
    assertThat(encoded.length()).isGreaterThan(14_000);
    String sig = new TwilioSignature(TOKEN).sign(connector.baseUrl() + path, form);
    HttpResponse<String> r = post(path, "application/x-www-form-urlencoded", encoded, sig);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(db.url(), db.user(), db.password());
        java.sql.PreparedStatement ps =
            c.prepareStatement("SELECT kind, payload FROM webhook_event WHERE sid = ?")) {
      ps.setString(1, "SMlongbody0000000000000000000001");
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("stored").isTrue();
        assertThat(rs.getString(1)).isEqualTo("inbound");
        assertThat(org.twiliocrm.http.Forms.decode(rs.getString(2)).get("Body"))
            .containsExactly(text);
      }
    }
    assertQuiet();
  }

  @Test
  void multipartUploadIs415AndNothingIsWritten() throws Exception {
    String boundary = "----itboundary";
    String body =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n"
            + "x".repeat(20_000)
            + "\r\n--"
            + boundary
            + "--\r\n";
    refusedOnce(
        "unsupported-media-type",
        415,
        () -> post(STATUS, "multipart/form-data; boundary=" + boundary, body, "x"));
    Path uploads = work.resolve("file-uploads");
    if (Files.isDirectory(uploads)) {
      try (var files = Files.list(uploads)) {
        assertThat(files.toList()).isEmpty();
      }
    }
  }

  @Test
  void anExceptionInTheRouteIs500WithoutStackTraceOrEchoedHeaders() throws Exception {
    Map<String, List<String>> form = new TreeMap<>();
    form.put("AccountSid", List.of(ACCOUNT));
    form.put("CallSid", List.of("CAfail1"));
    form.put("CallStatus", List.of("completed"));
    form.put("To", List.of("+14155550123"));
    String path = "/webhooks/twilio/test-failure";
    String sig = new TwilioSignature(TOKEN).sign(connector.baseUrl() + path, form);
    refusedOnce(
        "call-status",
        "internal-error",
        500,
        () -> post(path, "application/x-www-form-urlencoded", WebhookGate.encodeForm(form), sig));
    // The line names the call: its sid is in the MDC once the gate has checked the signature
    // (the form's fields are not Camel headers, so it comes from the checked event).
    assertThat(
            connector
                .output()
                .lines()
                .filter(l -> l.contains("webhook rejected:") && l.contains(" internal-error "))
                .toList())
        .anySatisfy(l -> assertThat(l).contains("sid=CAfail1"));
  }

  @Test
  void fieldNamesThatDifferOnlyInCaseAreCheckedAndStoredAsSent() throws Exception {
    // Twilio adds parameters without notice and signs them case-sensitively. Vert.x's form
    // attributes merged "ChannelPrefix" and "channelprefix" into one name with two values, so the
    // signature the connector computed differed and a genuine callback got 403.
    Map<String, List<String>> form = new TreeMap<>();
    form.put("AccountSid", List.of(ACCOUNT));
    form.put("ChannelPrefix", List.of("sms"));
    form.put("MessageSid", List.of("SMcase00000000000000000000000001"));
    form.put("MessageStatus", List.of("delivered"));
    form.put("channelprefix", List.of("lower"));
    String sig = new TwilioSignature(TOKEN).sign(connector.baseUrl() + STATUS, form);
    HttpResponse<String> r =
        post(STATUS, "application/x-www-form-urlencoded", WebhookGate.encodeForm(form), sig);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(db.url(), db.user(), db.password());
        java.sql.PreparedStatement ps =
            c.prepareStatement("SELECT payload FROM webhook_event WHERE sid = ?")) {
      ps.setString(1, "SMcase00000000000000000000000001");
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("stored").isTrue();
        Map<String, List<String>> stored = org.twiliocrm.http.Forms.decode(rs.getString(1));
        assertThat(stored.get("ChannelPrefix")).containsExactly("sms");
        assertThat(stored.get("channelprefix")).containsExactly("lower");
      }
    }
  }

  @Test
  void noDecodedFormIsLeftBehindWhenTheRequestEnds() throws Exception {
    // The edge decodes a form and hands it to the gate; a request that never reaches a gate (no
    // route on the path) or fails after it must not leave its form behind.
    String form = "AccountSid=" + ACCOUNT + "&MessageSid=SMnone&MessageStatus=sent";
    for (int i = 0; i < 20; i++) {
      assertThat(
              post("/webhooks/twilio/no-such-route", "application/x-www-form-urlencoded", form, "x")
                  .statusCode())
          .isEqualTo(404);
      assertThat(post(STATUS, "application/x-www-form-urlencoded", form, "x").statusCode())
          .isEqualTo(403);
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(connector.get("/observe/metrics").body())
                    .containsPattern(
                        "(?m)^twiliocrm_webhook_forms_in_flight(\\{[^}]*\\})? 0\\.0$"));
    assertQuiet();
  }

  @Test
  @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // last: it spends the log's rate budget
  void manyBadRequestsStayCountedButTheLogIsRateLimited() throws Exception {
    double before = rejected("message-status", "unsigned");
    long linesBefore = lines("unsigned");
    long start = System.nanoTime();
    for (int i = 0; i < 100; i++) {
      assertThat(
              post(STATUS, "application/x-www-form-urlencoded", "AccountSid=" + ACCOUNT, null)
                  .statusCode())
          .isEqualTo(403);
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(rejected("message-status", "unsigned")).isEqualTo(before + 100));
    // webhook.rejection-log.per-minute defaults to 30 for all reasons together: a burst of 30,
    // then one more line every 2 s while the requests last.
    long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds() + 1;
    assertThat(lines("unsigned") - linesBefore).isBetween(1L, 30 + seconds / 2 + 1);
    assertQuiet();
  }
}
