package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.testsupport.FreePort;

/**
 * Twilio's retries and token rotation, end to end over real sockets: the Twilio sandbox posts
 * signed status callbacks through a small front proxy (standing in for a load balancer that answers
 * 503 once) to the connector on PostgreSQL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookRetryAndRotationIT {
  private static final String PATH = "/webhooks/twilio/message-status";
  private static final String NEW_TOKEN = "rotated-auth-token";
  private static final String KEY_ID = "KSit0000000000000000000000000000";
  private static final String KEY_SECRET = "shared-key-secret-for-it";

  private WebhookStack stack;
  private HttpServer proxy;
  private String proxyUrl;

  /** MessageSids whose first callback of each status the proxy answers 503. */
  private final Set<String> flaky = ConcurrentHashMap.newKeySet();

  private final Set<String> failedOnce = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> posts = new ConcurrentHashMap<>();
  private final AtomicInteger served503 = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    int proxyPort = FreePort.find();
    proxyUrl = "http://127.0.0.1:" + proxyPort;
    proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", proxyPort), 50);
    proxy.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
    proxy.createContext("/", this::forward);
    proxy.start();
    stack =
        new WebhookStack(
            Map.of(
                // Twilio calls the proxy; signatures are over that URL.
                "connector.public-url", proxyUrl,
                // Rotation: the new token is accepted beside the sandbox account's current one.
                "twilio.secondary-auth-token", NEW_TOKEN,
                "webhook.signing-keys", KEY_ID + ":" + KEY_SECRET));
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (proxy != null) {
      proxy.stop(0);
    }
  }

  private void forward(com.sun.net.httpserver.HttpExchange ex) throws java.io.IOException {
    byte[] body = ex.getRequestBody().readAllBytes();
    String form = new String(body, StandardCharsets.UTF_8);
    Map<String, List<String>> params = WebhookGate.decodeForm(form);
    String sid = WebhookGate.first(params, "MessageSid", "");
    String status = WebhookGate.first(params, "MessageStatus", "");
    posts.computeIfAbsent(sid, k -> new AtomicInteger()).incrementAndGet();
    if (flaky.contains(sid) && failedOnce.add(sid + ":" + status)) {
      served503.incrementAndGet();
      ex.sendResponseHeaders(503, -1);
      ex.close();
      return;
    }
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.port + ex.getRequestURI()))
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      for (String h :
          List.of(
              "Content-Type",
              "X-Twilio-Signature",
              "I-Twilio-Idempotency-Token",
              "X-Twilio-Webhooks-Signature-Settings")) {
        String v = ex.getRequestHeaders().getFirst(h);
        if (v != null) {
          b.header(h, v);
        }
      }
      HttpResponse<byte[]> r = stack.http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
      if (r.body().length > 0) {
        ex.getResponseBody().write(r.body());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ex.sendResponseHeaders(502, -1);
    } finally {
      ex.close();
    }
  }

  /** Creates a sandbox message whose StatusCallback is {@code callback}; returns its SID. */
  private String create(String callback) throws Exception {
    String form =
        "To="
            + WebhookStack.enc("+14155550101")
            + "&From="
            + WebhookStack.enc(WebhookStack.NUMBER)
            + "&Body=hi&StatusCallback="
            + WebhookStack.enc(callback);
    String auth =
        java.util.Base64.getEncoder()
            .encodeToString(
                (WebhookStack.ACCOUNT + ":" + WebhookStack.TOKEN).getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> r =
        stack.http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        stack.twilio.baseUrl()
                            + "/2010-04-01/Accounts/"
                            + WebhookStack.ACCOUNT
                            + "/Messages.json"))
                .header("Authorization", "Basic " + auth)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return new ObjectMapper().readTree(r.body()).get("sid").asText();
  }

  private long stored(String sid, String status) throws Exception {
    return stack.count(
        "SELECT COUNT(*) FROM webhook_event WHERE sid = ? AND status = ?", sid, status);
  }

  private double rejected(String reason) throws Exception {
    Matcher m =
        Pattern.compile(
                "twiliocrm_webhook_rejected_total\\{endpoint=\"message-status\",reason=\""
                    + reason
                    + "\"\\} ([0-9.]+)")
            .matcher(stack.get("/observe/metrics").body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void a503IsRetriedWhenTheUrlCarriesTheOverridesAndStored() throws Exception {
    // The connector's own callback URLs carry the overrides (ConnectorApp, webhook.connection-
    // overrides); the sandbox honours rc/rp as Twilio does.
    String overridden = create(proxyUrl + PATH + "#rc=3&rp=all");
    String plain = create(proxyUrl + PATH);
    flaky.add(overridden);
    flaky.add(plain);
    await()
        .atMost(Duration.ofSeconds(90))
        .untilAsserted(() -> assertThat(stored(overridden, "delivered")).isEqualTo(1));
    assertThat(stored(overridden, "sent")).isEqualTo(1);
    // Without overrides Twilio's default (rp=ct) does not retry a 503: each status was posted once,
    // refused, and is lost — the reason the connector sets the overrides.
    await()
        .atMost(Duration.ofSeconds(90))
        .untilAsserted(() -> assertThat(posts.get(plain)).hasValueGreaterThanOrEqualTo(2));
    assertThat(stored(plain, "delivered") + stored(plain, "sent")).isZero();
    assertThat(posts.get(overridden).get()).isGreaterThan(posts.get(plain).get());
  }

  /** Creates {@code n} messages and waits until their sent and delivered callbacks are stored. */
  private List<String> flow(int n) throws Exception {
    List<String> sids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sids.add(create(proxyUrl + PATH + "#rc=3&rp=all"));
    }
    return sids;
  }

  private void awaitStored(List<String> sids) {
    await()
        .atMost(Duration.ofSeconds(120))
        .untilAsserted(
            () -> {
              for (String sid : sids) {
                assertThat(stored(sid, "sent")).as(sid + " sent").isEqualTo(1);
                assertThat(stored(sid, "delivered")).as(sid + " delivered").isEqualTo(1);
              }
            });
  }

  @Test
  void rotatingTheTokenWhileCallbacksFlowCostsNo403AndLosesNothing() throws Exception {
    double badBefore = rejected("bad-signature");
    // Callbacks in flight with the current token when Twilio promotes the secondary one: the
    // messages are created, then the token switches while their callbacks are still coming.
    List<String> before = flow(20);
    stack.twilio.signCallbacksWith(WebhookStack.ACCOUNT, NEW_TOKEN);
    List<String> after = flow(20);
    awaitStored(before);
    awaitStored(after);
    // Then a Webhooks Rule starts signing with a SharedKey and HMAC-SHA256.
    stack.twilio.signCallbacksWithKey(KEY_ID, KEY_SECRET);
    List<String> keyed = flow(20);
    awaitStored(keyed);
    assertThat(rejected("bad-signature")).isEqualTo(badBefore);
    assertThat(rejected("unknown-key")).isZero();
    stack.twilio.signCallbacksWithKey(null, null);
    stack.twilio.signCallbacksWith(WebhookStack.ACCOUNT, null);
  }
}
