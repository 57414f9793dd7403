package org.twiliocrm.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.twiliocrm.testsupport.TestOperators.ADMIN_USER;
import static org.twiliocrm.testsupport.TestOperators.APPROVER_TOKEN;
import static org.twiliocrm.testsupport.TestOperators.APPROVER_USER;
import static org.twiliocrm.testsupport.TestOperators.VIEWER_TOKEN;
import static org.twiliocrm.testsupport.TestOperators.VIEWER_USER;
import static org.twiliocrm.testsupport.TestOperators.bearer;
import static org.twiliocrm.testsupport.TestOperators.password;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console's sign-in, sessions, CSRF and rate limit, and the message search and timeline API,
 * over real HTTP against the shipped routes, PostgreSQL and the Twilio and Salesforce sandboxes.
 */
class ConsoleApiIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static ConsoleConnector connector;

  @BeforeAll
  static void start() throws Exception {
    connector = ConsoleConnector.start("it_console_api");
  }

  @AfterAll
  static void stop() {
    if (connector != null) {
      connector.close();
    }
  }

  /** A signed-in browser: its cookie value and CSRF token. */
  record Session(String cookie, String csrf, String setCookie) {
    Map<String, String> headers() {
      return Map.of("Cookie", "tcop_console=" + cookie);
    }

    Map<String, String> withCsrf() {
      return Map.of("Cookie", "tcop_console=" + cookie, "X-CSRF-Token", csrf);
    }
  }

  static HttpResponse<String> signInRaw(String name, String pw) throws Exception {
    return connector.send(
        "POST",
        "/console/session",
        Map.of("Content-Type", "application/json"),
        JSON.writeValueAsString(Map.of("name", name, "password", pw)));
  }

  static Session signIn(String user) throws Exception {
    HttpResponse<String> r = signInRaw(user, password(user));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
    String value = setCookie.substring(setCookie.indexOf('=') + 1, setCookie.indexOf(';'));
    return new Session(value, json(r).get("csrf").asText(), setCookie);
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  static HttpResponse<String> get(String path, Map<String, String> headers) throws Exception {
    return connector.send("GET", path, headers, null);
  }

  static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  // ---- sign-in, sessions, CSRF ----

  @Test
  void signInSetsAnHttpOnlySameSiteCookieThatTheApiAcceptsAndSignOutEndsIt() throws Exception {
    Session s = signIn(VIEWER_USER);
    assertThat(s.setCookie())
        .startsWith("tcop_console=")
        .contains("HttpOnly")
        .contains("SameSite=Strict")
        .contains("Path=/")
        .doesNotContain("Secure"); // http://127.0.0.1: a Secure cookie would never come back
    JsonNode who = json(get("/console/session", s.headers()));
    assertThat(who.get("name").asText()).isEqualTo(VIEWER_USER);
    assertThat(who.get("role").asText()).isEqualTo("viewer");
    assertThat(who.get("csrf").asText()).isEqualTo(s.csrf());
    assertThat(get("/api/messages", s.headers()).statusCode()).isEqualTo(200);

    HttpResponse<String> noToken =
        connector.send("POST", "/console/session/end", s.headers(), null);
    assertThat(noToken.statusCode()).isEqualTo(403);
    assertThat(get("/api/messages", s.headers()).statusCode()).isEqualTo(200);

    HttpResponse<String> out = connector.send("POST", "/console/session/end", s.withCsrf(), null);
    assertThat(out.statusCode()).isEqualTo(200);
    assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
    HttpResponse<String> after = get("/api/messages", s.headers());
    assertThat(after.statusCode()).isEqualTo(401);
    // No Basic challenge for a console session: the browser must not pop up a password dialog.
    assertThat(after.headers().firstValue("WWW-Authenticate")).isEmpty();
    assertThat(get("/console/session", s.headers()).statusCode()).isEqualTo(401);
  }

  @Test
  void aStateChangeFromASessionNeedsItsCsrfTokenAndTheRoleStillCounts() throws Exception {
    Session bob = signIn(APPROVER_USER);
    HttpResponse<String> noToken =
        connector.send("POST", "/api/approvals/987654/approve", bob.headers(), "{}");
    assertThat(noToken.statusCode()).isEqualTo(403);
    assertThat(json(noToken).get("error").asText()).isEqualTo("csrf");
    Map<String, String> wrong =
        Map.of("Cookie", "tcop_console=" + bob.cookie(), "X-CSRF-Token", "x");
    assertThat(connector.send("POST", "/api/approvals/987654/approve", wrong, "{}").statusCode())
        .isEqualTo(403);
    // With the token the gate lets it through: the API itself answers (no such request).
    HttpResponse<String> ok =
        connector.send("POST", "/api/approvals/987654/approve", bob.withCsrf(), "{}");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(404);

    Session alice = signIn(VIEWER_USER);
    HttpResponse<String> viewer =
        connector.send("POST", "/api/approvals/987654/approve", alice.withCsrf(), "{}");
    assertThat(viewer.statusCode()).isEqualTo(403);
    assertThat(json(viewer).get("error").asText()).isEqualTo("forbidden");
  }

  @Test
  void aForgedOrUnknownSessionCookieIsRefused() throws Exception {
    HttpResponse<String> r =
        get("/api/messages", Map.of("Cookie", "tcop_console=not-a-session-id"));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).doesNotContain("Exception");
  }

  @Test
  void signInFailuresAreRateLimitedPerName() throws Exception {
    // A name that is no user: its bucket is its own, so other tests keep signing in.
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = signInRaw("mallory", "guess-" + i);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
    }
    HttpResponse<String> limited = signInRaw("MALLORY", "guess-again");
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow()))
        .isPositive();
    assertThat(json(limited).get("error").asText()).isEqualTo("too-many-attempts");
    // Another user from the same address still signs in.
    signIn(ADMIN_USER);
  }

  @Test
  void signInTakesOnlyJsonAndAWrongPasswordIsA401() throws Exception {
    HttpResponse<String> form =
        connector.send(
            "POST",
            "/console/session",
            Map.of("Content-Type", "application/x-www-form-urlencoded"),
            "name=alice&password=alice-password");
    assertThat(form.statusCode()).isEqualTo(415);
    assertThat(form.headers().firstValue("Set-Cookie")).isEmpty();
    HttpResponse<String> wrong = signInRaw(ADMIN_USER, "not-it");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.headers().firstValue("Set-Cookie")).isEmpty();
    HttpResponse<String> junk =
        connector.send(
            "POST", "/console/session", Map.of("Content-Type", "application/json"), "{name");
    assertThat(junk.statusCode()).isEqualTo(400);
  }

  @Test
  void theConsoleIsServedFromTheJarWithAStrictContentSecurityPolicy() throws Exception {
    HttpResponse<String> page = get("/console", Map.of());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("script-src 'self'")
        .contains("frame-ancestors 'none'");
    assertThat(page.body()).contains("<script type=\"module\" src=\"/console/console.js\">");
    HttpResponse<String> js = get("/console/console.js", Map.of());
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/javascript");
    HttpResponse<String> missing = get("/console/nothing-here.js", Map.of());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("404").doesNotContain("Exception");
    assertThat(get("/console/../pom.xml", Map.of()).statusCode()).isNotEqualTo(200);
    // uPlot from its WebJar: only the listed files, with their types.
    HttpResponse<String> uplot = get("/console/vendor/uplot/uPlot.esm.js", Map.of());
    assertThat(uplot.statusCode()).isEqualTo(200);
    assertThat(uplot.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("text/javascript");
    assertThat(uplot.body()).contains("export { uPlot as default }");
    HttpResponse<String> css = get("/console/vendor/uplot/uPlot.min.css", Map.of());
    assertThat(css.statusCode()).isEqualTo(200);
    assertThat(css.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/css");
    assertThat(get("/console/vendor/uplot/uPlot.cjs.js", Map.of()).statusCode()).isEqualTo(404);
    assertThat(get("/console/vendor/uplot/../../console.js", Map.of()).statusCode())
        .isNotEqualTo(200);
  }

  // ---- messages ----

  /** Rows a business application wrote earlier, finished (FAILED/SENT) so nothing claims them. */
  static long history(
      String key,
      String to,
      String status,
      String channel,
      String template,
      String sid,
      String record,
      String createdAt) {
    connector.db.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body,"
            + " template_name, status, twilio_sid, crm_object, crm_record_id, created_at)"
            + " VALUES (?, ?, ?, ?, 'history', ?, ?, ?, 'Contact', ?, CAST(? AS TIMESTAMPTZ))",
        key,
        channel,
        to,
        ConsoleConnector.FROM,
        template,
        status,
        sid,
        record,
        createdAt);
    return Long.parseLong(
        connector.db.string("SELECT id FROM outbox_message WHERE idempotency_key = ?", key));
  }

  static String at(java.time.Instant day0, int hours) {
    return day0.plus(Duration.ofHours(hours)).toString();
  }

  static List<Long> ids(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<Long> out = new ArrayList<>();
    for (JsonNode m : json(r).get("messages")) {
      out.add(m.get("id").asLong());
    }
    return out;
  }

  static HttpResponse<String> search(String query) throws Exception {
    return get("/api/messages?" + query, Map.of("Authorization", bearer(APPROVER_TOKEN)));
  }

  @Test
  void searchFiltersByEachFieldPagesNewestFirstAndBindsEveryValue() throws Exception {
    String to = "+14155559001";
    // Days before now, not fixed dates: the retention job must not see them as old.
    java.time.Instant day0 =
        java.time.Instant.now()
            .truncatedTo(java.time.temporal.ChronoUnit.HOURS)
            .minus(Duration.ofDays(4));
    long a = history("h-a", to, "FAILED", "sms", "reminder", "SMaaa1", "003A", at(day0, 0));
    long b = history("h-b", to, "SENT", "whatsapp", "reminder", "SMbbb2", "003B", at(day0, 24));
    long c = history("h-c", to, "SENT", "sms", "receipt", "SMccc3", "003C", at(day0, 48));
    long other =
        history("h-d", "+14155559002", "SENT", "sms", "receipt", "SMddd4", "003A", at(day0, 49));

    assertThat(ids(search("phone=" + q("+1 415 555-9001")))).containsExactly(c, b, a);
    assertThat(ids(search("sid=SMbbb2"))).containsExactly(b);
    assertThat(ids(search("crmRecord=003A"))).containsExactly(other, a);
    assertThat(ids(search("phone=" + q(to) + "&status=sent"))).containsExactly(c, b);
    assertThat(ids(search("phone=" + q(to) + "&channel=whatsapp"))).containsExactly(b);
    assertThat(ids(search("phone=" + q(to) + "&template=receipt"))).containsExactly(c);
    assertThat(ids(search("phone=" + q(to) + "&since=" + at(day0, 23) + "&until=" + at(day0, 47))))
        .containsExactly(b);

    JsonNode first = json(search("phone=" + q(to) + "&limit=2"));
    assertThat(first.get("messages")).hasSize(2);
    assertThat(first.get("next").asText()).isEqualTo(String.valueOf(b));
    JsonNode second = json(search("phone=" + q(to) + "&limit=2&before=" + b));
    assertThat(second.get("messages")).hasSize(1);
    assertThat(second.get("messages").get(0).get("id").asLong()).isEqualTo(a);
    assertThat(second.get("next").isNull()).isTrue();

    // Input is bound, never concatenated: quotes find nothing, and malformed filters are 400s.
    assertThat(ids(search("crmRecord=" + q("003A' OR '1'='1")))).isEmpty();
    assertThat(ids(search("template=" + q("x'); DROP TABLE outbox_message; --")))).isEmpty();
    assertThat(connector.db.count("SELECT COUNT(*) FROM outbox_message")).isPositive();
    for (String bad :
        List.of(
            "phone=" + q("' OR 1=1 --"),
            "sid=" + q("SM1' OR '1'='1"),
            "status=DELIVERED",
            "channel=fax",
            "since=yesterday",
            "limit=0",
            "limit=500",
            "before=abc")) {
      HttpResponse<String> r = search(bad);
      assertThat(r.statusCode()).as(bad + ": " + r.body()).isEqualTo(400);
      assertThat(r.body()).doesNotContain("Exception").doesNotContain("SQL");
    }
  }

  @Test
  void viewersSeePhoneNumbersMaskedApproversInFull() throws Exception {
    long id =
        history(
            "mask-1",
            "+14155559111",
            "SENT",
            "sms",
            null,
            "SMmask1",
            "003M",
            java.time.Instant.now().toString());
    JsonNode asViewer =
        json(get("/api/messages?sid=SMmask1", Map.of("Authorization", bearer(VIEWER_TOKEN))));
    assertThat(asViewer.get("messages").get(0).get("recipient").asText()).isEqualTo("+*******9111");
    assertThat(asViewer.get("messages").get(0).get("sender").asText()).isEqualTo("+*******0006");
    assertThat(asViewer.toString()).doesNotContain("4155559111");
    JsonNode timeline =
        json(get("/api/messages/" + id, Map.of("Authorization", bearer(VIEWER_TOKEN))));
    assertThat(timeline.get("message").get("recipient").asText()).isEqualTo("+*******9111");
    assertThat(timeline.toString()).doesNotContain("4155559111");
    JsonNode asApprover = json(search("sid=SMmask1"));
    assertThat(asApprover.get("messages").get(0).get("recipient").asText())
        .isEqualTo("+14155559111");
  }

  @Test
  void unknownMessagesAre404s() throws Exception {
    for (String id : List.of("99999999", "abc", "1%27%20OR%201=1")) {
      HttpResponse<String> r =
          get("/api/messages/" + id, Map.of("Authorization", bearer(VIEWER_TOKEN)));
      assertThat(r.statusCode()).as(id).isEqualTo(404);
      assertThat(json(r).get("error").asText()).isEqualTo("not-found");
    }
  }

  @Test
  void aRealSendShowsItsAttemptsWebhookStatusesAndCrmWriteBack() throws Exception {
    long id = connector.insert("api-send-1", "+14155559200", "Your table is ready", null, null);
    Map<String, String> auth = Map.of("Authorization", bearer(APPROVER_TOKEN));
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              JsonNode t = json(get("/api/messages/" + id, auth));
              assertThat(t.get("message").get("status").asText()).isEqualTo("SENT");
              List<String> statuses = new ArrayList<>();
              t.get("events").forEach(e -> statuses.add(e.get("status").asText()));
              assertThat(statuses).contains("delivered");
              assertThat(t.get("crm").get("writeBack").asText()).isEqualTo("in the CRM");
            });
    JsonNode t = json(get("/api/messages/" + id, auth));
    assertThat(t.get("attempts")).isNotEmpty();
    assertThat(t.get("attempts").get(0).get("outcome").asText()).isNotBlank();
    assertThat(t.get("message").get("twilio_sid").asText()).startsWith("SM");
    assertThat(t.get("message").get("body").asText()).isEqualTo("Your table is ready");
    for (JsonNode e : t.get("events")) {
      assertThat(e.get("received_at").asText()).endsWith("Z");
      assertThat(e.has("payload")).isFalse();
    }
  }

  @Test
  void aTimelineShowsTheChannelFallbackStepsOfItsChain() throws Exception {
    // The Twilio sandbox reports +15005553003 undelivered (30003): the SMS falls back to a call.
    String to = "+15005553003";
    connector.db.exec(
        "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body,"
            + " fallback_chain) VALUES ('api-fallback-1', 'sms', ?, ?, 'Your visit is at 10',"
            + " 'sms,voice')",
        to,
        ConsoleConnector.FROM);
    long sms =
        Long.parseLong(
            connector.db.string(
                "SELECT id FROM outbox_message WHERE idempotency_key = 'api-fallback-1'"));
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () ->
                connector.db.count("SELECT COUNT(*) FROM outbox_message WHERE parent_id = ?", sms),
            n -> n == 1);
    long voice =
        Long.parseLong(
            connector.db.string("SELECT id FROM outbox_message WHERE parent_id = ?", sms));
    Map<String, String> auth = Map.of("Authorization", bearer(VIEWER_TOKEN));

    JsonNode first = json(get("/api/messages/" + sms, auth)).get("fallback");
    assertThat(first).hasSize(2);
    assertThat(first.get(0).get("id").asLong()).isEqualTo(sms);
    assertThat(first.get(0).get("current").asBoolean()).isTrue();
    assertThat(first.get(0).get("channel").asText()).isEqualTo("sms");
    assertThat(first.get(1).get("id").asLong()).isEqualTo(voice);
    assertThat(first.get(1).get("channel").asText()).isEqualTo("voice");
    assertThat(first.get(1).get("fallback_step").asInt()).isEqualTo(1);
    assertThat(first.get(1).get("fallback_reason").asText())
        .isEqualTo("sms undelivered: Twilio 30003");
    assertThat(first.get(1).has("current")).isFalse();

    JsonNode second = json(get("/api/messages/" + voice, auth));
    assertThat(second.get("message").get("parent_id").asLong()).isEqualTo(sms);
    assertThat(second.get("fallback"))
        .extracting(s -> s.get("id").asLong())
        .containsExactly(sms, voice);
    assertThat(second.get("fallback").get(1).get("current").asBoolean()).isTrue();

    // A row with no chain has no steps.
    long plain = connector.insert("api-fallback-2", "+14155559210", "No chain", null, null);
    assertThat(json(get("/api/messages/" + plain, auth)).get("fallback")).isEmpty();

    // The call the chain ended with is on the sandbox phone's calls, with its outcome.
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(300))
        .untilAsserted(
            () -> {
              JsonNode calls = json(get("/api/sandbox/handsets/" + q(to) + "/calls", auth));
              assertThat(calls).hasSize(1);
              assertThat(calls.get(0).get("status").asText()).isEqualTo("completed");
            });
  }

  @Test
  void aHeldMessagesTimelineShowsItsApprovalWithWhoDecidedIt() throws Exception {
    String to = "+14155559230";
    connector.insertCampaign("api-camp", 4, to, APPROVER_USER);
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                connector.db.count(
                        "SELECT COUNT(*) FROM outbox_message WHERE campaign = 'api-camp' AND"
                            + " status = 'HELD'")
                    == 4);
    long request =
        Long.parseLong(
            connector.db.string("SELECT id FROM approval_request WHERE campaign = 'api-camp'"));
    long row =
        Long.parseLong(
            connector.db.string("SELECT MIN(id) FROM outbox_message WHERE campaign = 'api-camp'"));
    Map<String, String> viewer = Map.of("Authorization", bearer(VIEWER_TOKEN));
    JsonNode held = json(get("/api/messages/" + row, viewer));
    assertThat(held.get("approval").get("status").asText()).isEqualTo("PENDING");

    Session carol = signIn(ADMIN_USER);
    HttpResponse<String> approved =
        connector.send(
            "POST",
            "/api/approvals/" + request + "/approve",
            Map.of(
                "Cookie",
                "tcop_console=" + carol.cookie(),
                "X-CSRF-Token",
                carol.csrf(),
                "Content-Type",
                "application/json"),
            "{\"comment\": \"sample checked\"}");
    assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
    JsonNode t = json(get("/api/messages/" + row, viewer));
    assertThat(t.get("message").get("approval_id").asLong()).isEqualTo(request);
    assertThat(t.get("approval").get("status").asText()).isEqualTo("APPROVED");
    assertThat(t.get("approval").get("decidedBy").asText()).isEqualTo(ADMIN_USER);
    assertThat(t.get("approval").get("comment").asText()).isEqualTo("sample checked");
  }

  @Test
  void aMessageSentFromTheSandboxPhoneHasATimelineAndCountsOnTheDashboard() throws Exception {
    String handset = "+14155559220";
    Map<String, String> approver =
        Map.of("Authorization", bearer(APPROVER_TOKEN), "Content-Type", "application/json");
    Map<String, String> viewer = Map.of("Authorization", bearer(VIEWER_TOKEN));
    long receivedBefore = receivedSms(json(get("/api/dashboard?hours=1", viewer)));

    HttpResponse<String> sent =
        connector.send(
            "POST",
            "/api/sandbox/handsets/" + q(handset) + "/messages",
            approver,
            JSON.writeValueAsString(
                Map.of("to", ConsoleConnector.FROM, "body", "Can we move it to 11?")));
    assertThat(sent.statusCode()).as(sent.body()).isEqualTo(201);
    String sid = json(sent).get("sid").asText();
    assertThat(sid).startsWith("SM");

    // Its timeline by SID: the webhook that brought it, processed, and its CRM write-back.
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(300))
        .untilAsserted(
            () -> {
              HttpResponse<String> r = get("/api/messages/" + sid, approver);
              assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
              JsonNode t = json(r);
              assertThat(t.get("message").get("direction").asText()).isEqualTo("inbound");
              assertThat(t.get("events"))
                  .anySatisfy(
                      e -> {
                        assertThat(e.get("kind").asText()).isEqualTo("inbound");
                        assertThat(e.get("state").asText()).isEqualTo("DONE");
                      });
              assertThat(t.get("crm").get("writeBack").asText()).isEqualTo("in the CRM");
            });
    JsonNode t = json(get("/api/messages/" + sid, approver));
    assertThat(t.get("message").get("body").asText()).isEqualTo("Can we move it to 11?");
    assertThat(t.get("message").get("from_number").asText()).isEqualTo(handset);
    assertThat(t.get("message").get("to_number").asText()).isEqualTo(ConsoleConnector.FROM);
    assertThat(t.get("attempts")).isEmpty();
    for (JsonNode e : t.get("events")) {
      assertThat(e.has("payload")).isFalse();
    }
    // A viewer sees the numbers masked.
    JsonNode masked = json(get("/api/messages/" + sid, viewer)).get("message");
    assertThat(masked.get("from_number").asText()).isEqualTo("+*******9220");

    // The dashboard counts it among the messages received this hour.
    assertThat(receivedSms(json(get("/api/dashboard?hours=1", viewer))))
        .isGreaterThanOrEqualTo(receivedBefore + 1);

    // A SID nobody knows is a 404, as is one of the wrong shape.
    for (String unknown : List.of("SM" + "0".repeat(32), "SMnot-a-sid")) {
      HttpResponse<String> r = get("/api/messages/" + unknown, viewer);
      assertThat(r.statusCode()).as(unknown).isEqualTo(404);
      assertThat(r.body()).doesNotContain("Exception");
    }
  }

  /** The sms messages received in all hours of a dashboard answer. */
  static long receivedSms(JsonNode dashboard) {
    long n = 0;
    for (JsonNode h : dashboard.get("hours")) {
      n += h.path("received").path("sms").asLong(0);
    }
    return n;
  }

  // ---- senders, sandbox phone, live updates ----

  @Test
  void theSendersTableIsServedToAViewerAndOnlyAnAdminReadsTheAccountAgain() throws Exception {
    HttpResponse<String> r = get("/api/senders", Map.of("Authorization", bearer(VIEWER_TOKEN)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode s = json(r);
    assertThat(s.get("columns").get(0).asText()).isEqualTo("SENDER");
    assertThat(s.get("expected").get("inbound").asText()).endsWith("/webhooks/twilio/inbound");
    assertThat(s.get("error").isNull()).as(r.body()).isTrue();
    assertThat(s.get("rows").size()).isPositive();

    Session bob = signIn(APPROVER_USER);
    HttpResponse<String> approver =
        connector.send("POST", "/api/senders/refresh", bob.withCsrf(), null);
    assertThat(approver.statusCode()).as(approver.body()).isEqualTo(403);
    Session carol = signIn(ADMIN_USER);
    HttpResponse<String> noCsrf =
        connector.send("POST", "/api/senders/refresh", carol.headers(), null);
    assertThat(noCsrf.statusCode()).isEqualTo(403);
    assertThat(json(noCsrf).get("error").asText()).isEqualTo("csrf");
    HttpResponse<String> admin =
        connector.send("POST", "/api/senders/refresh", carol.withCsrf(), null);
    assertThat(admin.statusCode()).as(admin.body()).isEqualTo(200);
    assertThat(json(admin).get("loadedAt").asText()).endsWith("Z");
  }

  @Test
  void theSandboxPhoneShowsAHandsetsInboxAndItsStopReachesTheConnector() throws Exception {
    String to = "+14155550401";
    long id = connector.insert("api-phone-1", to, "Hello from the phone test", null, null);
    String inbox = "/api/sandbox/handsets/" + q(to) + "/inbox";
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> get(inbox, Map.of("Authorization", bearer(VIEWER_TOKEN))).body(),
            b -> b.contains("Hello from the phone test"));
    assertThat(get("/api/sandbox/handsets", Map.of("Authorization", bearer(VIEWER_TOKEN))).body())
        .contains(to);
    assertThat(
            get(
                    "/api/sandbox/handsets/" + q(to) + "/calls",
                    Map.of("Authorization", bearer(VIEWER_TOKEN)))
                .statusCode())
        .isEqualTo(200);

    String stop = JSON.writeValueAsString(Map.of("to", ConsoleConnector.FROM, "body", "STOP"));
    String reply = "/api/sandbox/handsets/" + q(to) + "/messages";
    Map<String, String> viewer =
        Map.of("Authorization", bearer(VIEWER_TOKEN), "Content-Type", "application/json");
    assertThat(connector.send("POST", reply, viewer, stop).statusCode()).isEqualTo(403);
    Session bob = signIn(APPROVER_USER);
    assertThat(connector.send("POST", reply, bob.headers(), stop).statusCode()).isEqualTo(403);
    assertThat(connector.db.count("SELECT COUNT(*) FROM consent_event WHERE recipient = ?", to))
        .isZero();
    Map<String, String> approver =
        Map.of("Authorization", bearer(APPROVER_TOKEN), "Content-Type", "application/json");
    HttpResponse<String> sent = connector.send("POST", reply, approver, stop);
    assertThat(sent.statusCode()).as(sent.body()).isEqualTo(201);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                connector.db.count(
                        "SELECT COUNT(*) FROM consent_event WHERE recipient = ? AND status ="
                            + " 'OPTED_OUT'",
                        to)
                    == 1);
    assertThat(connector.db.string("SELECT status FROM outbox_message WHERE id = ?", id))
        .isEqualTo("SENT");

    HttpResponse<String> bad =
        connector.send(
            "POST",
            "/api/sandbox/handsets/not-a-number/messages",
            approver,
            "{\"to\": \"+15005550006\", \"body\": \"hi\"}");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).doesNotContain("Exception");
  }

  @Test
  void liveUpdatesNeedCredentialsStreamAChangeAndPollOnlyWhileSomeoneListens() throws Exception {
    org.twiliocrm.operator.LiveEvents live =
        connector
            .app
            .camelContext()
            .getRegistry()
            .lookupByNameAndType(
                org.twiliocrm.operator.OperatorApi.LIVE_EVENTS,
                org.twiliocrm.operator.LiveEvents.class);
    assertThat(get("/api/events", Map.of()).statusCode()).isEqualTo(401);
    assertThat(
            connector
                .send("POST", "/api/events", Map.of("Authorization", bearer(VIEWER_TOKEN)), null)
                .statusCode())
        .isNotEqualTo(200);

    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    Session alice = signIn(VIEWER_USER);
    java.net.http.HttpRequest req =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(connector.url("/api/events")))
            .header("Cookie", "tcop_console=" + alice.cookie())
            .build();
    HttpResponse<java.util.stream.Stream<String>> stream =
        client.send(req, HttpResponse.BodyHandlers.ofLines());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/event-stream");
    java.util.Queue<String> lines = new java.util.concurrent.ConcurrentLinkedQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                stream.body().forEach(lines::add);
              } catch (RuntimeException e) {
                // closed
              }
            });
    reader.setDaemon(true);
    reader.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> live.listeners() >= 1);
    // The poller's first look is its baseline; a row inserted after it is a change.
    long before = live.polls();
    await().atMost(Duration.ofSeconds(10)).until(() -> live.polls() > before);
    connector.insert("api-live-1", "+14155550402", "Live one", null, null);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> lines.stream().anyMatch(l -> l.startsWith("data:") && l.contains("messages")));
    assertThat(lines).contains("event: change");

    stream.body().close();
    await().atMost(Duration.ofSeconds(30)).until(() -> live.listeners() == 0);

    // A script with a password (HTTP Basic, checked off the event loop) gets the stream as well.
    String basic =
        "Basic "
            + java.util.Base64.getEncoder()
                .encodeToString(
                    (VIEWER_USER + ":" + password(VIEWER_USER)).getBytes(StandardCharsets.UTF_8));
    HttpResponse<java.util.stream.Stream<String>> script =
        client.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(connector.url("/api/events")))
                .header("Authorization", basic)
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    assertThat(script.statusCode()).isEqualTo(200);
    assertThat(script.body().findFirst()).contains("retry: 3000");
    script.body().close();
    await().atMost(Duration.ofSeconds(30)).until(() -> live.listeners() == 0);
    long[] last = {live.polls()};
    await()
        .atMost(Duration.ofSeconds(15))
        .during(Duration.ofSeconds(3))
        .until(
            () -> {
              long p = live.polls();
              boolean same = p == last[0];
              last[0] = p;
              return same;
            });
  }

  // ---- OpenAPI ----

  @Test
  void openApiDocumentsTheEndpointsAndEachOneAnswers() throws Exception {
    HttpResponse<String> r =
        get("/api/openapi.json", Map.of("Authorization", bearer(VIEWER_TOKEN)));
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode doc = json(r);
    assertThat(doc.get("openapi").asText()).startsWith("3.");
    List<String> paths = new ArrayList<>();
    doc.get("paths").fieldNames().forEachRemaining(paths::add);
    assertThat(paths)
        .contains(
            "/api/messages",
            "/api/messages/{id}",
            "/api/approvals",
            "/api/approvals/{id}/approve",
            "/api/audit",
            "/api/dashboard",
            "/api/consent/{number}",
            "/api/consent/opt-out",
            "/api/failed",
            "/api/failed/rows",
            "/api/failed/retry",
            "/api/template-approvals/{version}/submit",
            "/api/senders",
            "/api/senders/refresh",
            "/api/sandbox/handsets/{phone}/inbox",
            "/api/sandbox/handsets/{phone}/messages",
            "/api/events",
            "/api/openapi.json");
    // Each documented GET without path parameters exists (no "no such endpoint" 404).
    for (Iterator<String> it = doc.get("paths").fieldNames(); it.hasNext(); ) {
      String p = it.next();
      if (p.contains("{") || !doc.get("paths").get(p).has("get") || p.equals("/api/events")) {
        continue; // (the events stream stays open: checked in liveUpdates...)
      }
      HttpResponse<String> answer = get(p, Map.of("Authorization", bearer(VIEWER_TOKEN)));
      assertThat(answer.statusCode()).as(p + ": " + answer.body()).isNotEqualTo(404);
    }
  }
}
