package org.twiliocrm.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.twiliocrm.testsupport.TestOperators.ADMIN_TOKEN;
import static org.twiliocrm.testsupport.TestOperators.ADMIN_USER;
import static org.twiliocrm.testsupport.TestOperators.APPROVER_USER;
import static org.twiliocrm.testsupport.TestOperators.VIEWER_TOKEN;
import static org.twiliocrm.testsupport.TestOperators.VIEWER_USER;
import static org.twiliocrm.testsupport.TestOperators.basic;
import static org.twiliocrm.testsupport.TestOperators.bearer;
import static org.twiliocrm.testsupport.TestOperators.password;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.twiliocrm.testsupport.TestDatabase;
import org.twiliocrm.testsupport.TestOperators;

/**
 * The gate on the connector's HTTP port, over a real socket: which endpoints are open (probes,
 * Twilio's signed webhooks), which need credentials (metrics, /, /api, anything unnamed), Basic and
 * Bearer, 401 with the challenges, 403 for a role too low, and no credential in the log.
 */
class OperatorGateIT {
  private static OperatorHttp connector;
  private static final ListAppender<ILoggingEvent> LOGS = new ListAppender<>();

  @BeforeAll
  static void start() throws Exception {
    LOGS.start();
    ((Logger) LoggerFactory.getLogger("org.twiliocrm")).addAppender(LOGS);
    connector =
        OperatorHttp.start(
            TestDatabase.h2("it_gate").config(),
            TestOperators.file(),
            propsOf("outbox.enabled", "false"));
  }

  @AfterAll
  static void stop() {
    if (connector != null) {
      connector.close();
    }
    ((Logger) LoggerFactory.getLogger("org.twiliocrm")).detachAppender(LOGS);
  }

  static Properties propsOf(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return p;
  }

  @Test
  void probesStayOpenForKubernetes() throws Exception {
    assertThat(connector.get("/observe/health/ready", null).statusCode()).isEqualTo(200);
    assertThat(connector.get("/observe/health/live", null).statusCode()).isEqualTo(200);
    assertThat(connector.get("/observe/health", null).statusCode()).isEqualTo(200);
  }

  @Test
  void metricsAndInfoNeedCredentials() throws Exception {
    for (String path : new String[] {"/observe/metrics", "/", "/api/approvals"}) {
      HttpResponse<String> r = connector.get(path, null);
      assertThat(r.statusCode()).as(path).isEqualTo(401);
      assertThat(r.headers().allValues("WWW-Authenticate"))
          .as(path)
          .anySatisfy(v -> assertThat(v).startsWith("Basic realm="))
          .anySatisfy(v -> assertThat(v).startsWith("Bearer realm="));
      assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
      assertThat(r.body()).contains("\"error\":\"unauthenticated\"").doesNotContain("Exception");
    }
    HttpResponse<String> metrics = connector.get("/observe/metrics", bearer(VIEWER_TOKEN));
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("# TYPE");
    assertThat(connector.get("/", basic(VIEWER_USER)).statusCode()).isEqualTo(200);
  }

  @Test
  void wrongCredentialsAre401() throws Exception {
    String wrongPassword =
        "Basic "
            + Base64.getEncoder()
                .encodeToString(
                    (APPROVER_USER + ":not-" + password(APPROVER_USER))
                        .getBytes(StandardCharsets.UTF_8));
    String unknownUser =
        "Basic "
            + Base64.getEncoder()
                .encodeToString("mallory:whatever".getBytes(StandardCharsets.UTF_8));
    for (String auth :
        new String[] {
          bearer("tcop_not-a-token"),
          bearer(""),
          wrongPassword,
          unknownUser,
          "Basic !!!notbase64",
          "Basic " + Base64.getEncoder().encodeToString("nocolon".getBytes(StandardCharsets.UTF_8)),
          "Digest username=\"alice\"",
          VIEWER_TOKEN
        }) {
      HttpResponse<String> r = connector.get("/observe/metrics", auth);
      assertThat(r.statusCode()).as(auth).isEqualTo(401);
      assertThat(r.headers().allValues("WWW-Authenticate")).as(auth).hasSize(2);
      assertThat(r.body()).doesNotContain("Exception");
    }
  }

  @Test
  void wrongBasicPasswordsForANameAreLimitedLikeConsoleSignIns() throws Exception {
    // A name that is no user, so the other tests' users keep their tries (the address allows 20).
    String name = "trudy";
    for (int i = 0; i < OperatorSessions.FAILURES_PER_NAME; i++) {
      HttpResponse<String> r = connector.get("/observe/metrics", basicOf(name, "guess-" + i));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
    }
    HttpResponse<String> limited = connector.get("/api/approvals", basicOf("TRUDY", "again"));
    assertThat(limited.statusCode()).as(limited.body()).isEqualTo(429);
    assertThat(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow()))
        .isPositive();
    assertThat(limited.body())
        .contains("\"error\":\"too-many-attempts\"")
        .doesNotContain("Exception");
    assertThat(LOGS.list)
        .anySatisfy(
            e ->
                assertThat(e.getFormattedMessage())
                    .contains("429")
                    .contains("too many wrong passwords")
                    .doesNotContain("again"));
    // A user with the right password from the same address is not affected.
    assertThat(connector.get("/observe/metrics", basic(VIEWER_USER)).statusCode()).isEqualTo(200);
  }

  private static String basicOf(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void unnamedPathsNeedAdminAndDotSegmentsDoNotSlipPast() throws Exception {
    assertThat(connector.get("/no-such-endpoint", null).statusCode()).isEqualTo(401);
    HttpResponse<String> viewer = connector.get("/no-such-endpoint", bearer(VIEWER_TOKEN));
    assertThat(viewer.statusCode()).isEqualTo(403);
    assertThat(viewer.body()).contains("\"error\":\"forbidden\"").contains("needs admin");
    assertThat(connector.get("/no-such-endpoint", bearer(ADMIN_TOKEN)).statusCode()).isEqualTo(404);
    assertThat(connector.get("/no-such-endpoint", basic(ADMIN_USER)).statusCode()).isEqualTo(404);
    // Paths are judged after normalization, as the router matches them.
    assertThat(connector.get("/webhooks/../observe/metrics", null).statusCode()).isEqualTo(401);
    assertThat(connector.get("/observe/health/ready/../../metrics", null).statusCode())
        .isEqualTo(401);
    assertThat(connector.get("//observe/metrics", null).statusCode()).isEqualTo(401);
    assertThat(connector.get("/observe/%6detrics", null).statusCode()).isEqualTo(401);
  }

  @Test
  void twilioWebhooksKeepTheirSignatureCheckNotAPassword() throws Exception {
    HttpResponse<String> r = connector.send("POST", "/webhooks/twilio/message-status", null, null);
    assertThat(r.statusCode()).isNotIn(401, 200);
    assertThat(r.headers().firstValue("WWW-Authenticate")).isEmpty();
  }

  @Test
  void forgedUserHeaderGrantsNothing() throws Exception {
    java.net.http.HttpRequest req =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + connector.port + "/"))
            .header("CamelVertxPlatformHttpAuthenticatedUser", "admin")
            .build();
    assertThat(
            java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .build()
                .send(req, HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(401);
  }

  @Test
  void noCredentialReachesTheLog() throws Exception {
    connector.get("/observe/metrics", bearer("tcop_leaked-secret-value"));
    connector.get(
        "/observe/metrics",
        "Basic "
            + Base64.getEncoder()
                .encodeToString("bob:hunter2-secret".getBytes(StandardCharsets.UTF_8)));
    connector.get("/observe/metrics", basic(VIEWER_USER));
    connector.get("/no-such-endpoint", bearer(VIEWER_TOKEN));
    String all =
        String.join("\n", LOGS.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
    assertThat(all).contains("operator request refused: 401");
    assertThat(all)
        .doesNotContain("tcop_leaked-secret-value")
        .doesNotContain("hunter2-secret")
        .doesNotContain(password(VIEWER_USER))
        .doesNotContain(VIEWER_TOKEN)
        .doesNotContain(ADMIN_TOKEN);
  }

  /** With no credentials configured, sandbox mode prints an admin token once and honours it. */
  @Test
  void sandboxWithoutCredentialsGeneratesAnAdminTokenAndPrintsIt() throws Exception {
    try (OperatorHttp dev =
        OperatorHttp.start(
            TestDatabase.h2("it_gate_dev").config(), null, propsOf("outbox.enabled", "false"))) {
      // The lines the jar's banner prints (in-process, Main.start() logs no banner).
      String banner = String.join("\n", dev.app.operators().bannerLines("http://x"));
      Matcher m = Pattern.compile("Authorization: Bearer (tcop_[A-Za-z0-9_-]{43})").matcher(banner);
      assertThat(m.find()).as(banner).isTrue();
      String token = m.group(1);
      assertThat(dev.get("/observe/metrics", null).statusCode()).isEqualTo(401);
      assertThat(dev.get("/observe/metrics", bearer(token)).statusCode()).isEqualTo(200);
      assertThat(dev.get("/no-such-endpoint", bearer(token)).statusCode()).isEqualTo(404);
      // The test operators are not configured here.
      assertThat(dev.get("/observe/metrics", bearer(VIEWER_TOKEN)).statusCode()).isEqualTo(401);
    }
  }
}
