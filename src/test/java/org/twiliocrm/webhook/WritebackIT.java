package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * End to end over real sockets: the Twilio sandbox sends signed callbacks (with duplicates and
 * out-of-order delivery injected) and inbound messages to the shipped routes; the connector stores
 * them in PostgreSQL, applies them forward-only and writes them back into the Salesforce sandbox
 * through camel-salesforce, in sObject Collections.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WritebackIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private WebhookStack stack;

  @BeforeAll
  void start() throws Exception {
    // A longer interim delay than the default 5 s, so that a busy machine cannot stretch the
    // interim-delay test's steps past it.
    stack = new WebhookStack(Map.of("webhook.crm.writeback.interim-delay-millis", "20000"));
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private Map<String, Map<String, Object>> sfMessages() {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (Map<String, Object> r : stack.salesforce.records("Twilio_Message__c")) {
      out.put(String.valueOf(r.get("Message_Sid__c")), r);
    }
    return out;
  }

  private String contactId(String mobile) {
    return stack.salesforce.records("Contact").stream()
        .filter(r -> mobile.equals(r.get("MobilePhone")))
        .map(r -> String.valueOf(r.get("Id")))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void thousandMessagesWithDuplicatesAndOutOfOrderCallbacksReachSalesforceInFewCalls()
      throws Exception {
    assertThat(
            stack
                .twilioControl(
                    "PUT",
                    "/sandbox/faults",
                    "{\"duplicateCallbackRate\":0.2,\"outOfOrderCallbackRate\":0.2,"
                        + "\"outOfOrderDelayMillis\":300}")
                .statusCode())
        .isEqualTo(200);
    // Let any earlier write-back settle, then count only this run's calls.
    long callsBefore = restCalls();
    long startNanos = System.nanoTime();
    Set<String> sids = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(48);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        String to = String.format("+1555777%04d", i);
        fs.add(
            pool.submit(
                () -> {
                  HttpResponse<String> r = stack.createMessage(to, "Reminder " + to);
                  assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                  sids.add(JSON.readTree(r.body()).path("sid").asText());
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(sids).hasSize(1000);
    // Every message ends delivered locally, whatever order the callbacks came in.
    await()
        .atMost(Duration.ofSeconds(150))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () ->
                assertThat(
                        stack.count(
                            "SELECT COUNT(*) FROM message_state WHERE status = 'delivered' AND"
                                + " to_number LIKE '+1555777%'"))
                    .isEqualTo(1000));
    // ... and in Salesforce, one record per message, delivered, with its fields.
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              Map<String, Map<String, Object>> sf = sfMessages();
              List<String> notDelivered =
                  sids.stream()
                      .filter(
                          s -> sf.get(s) == null || !"delivered".equals(sf.get(s).get("Status__c")))
                      .collect(Collectors.toList());
              assertThat(notDelivered).isEmpty();
            });
    // Measured to the last Salesforce update, not to the last local callback: the write-back
    // batches still flush (one call per window) after the callbacks have all been stored.
    double callbackSeconds = (System.nanoTime() - startNanos) / 1e9;
    Map<String, Object> one = sfMessages().get(sids.iterator().next());
    assertThat(one.get("Direction__c")).isEqualTo("outbound-api");
    assertThat(one.get("From__c")).isEqualTo(WebhookStack.NUMBER);
    assertThat(one.get("Delivered_At__c")).isNotNull();
    long calls = restCalls() - callsBefore;
    System.out.println(
        "Salesforce API calls for 1,000 messages' status callbacks: "
            + calls
            + " "
            + stack.salesforce.apiUsage().byEndpoint());
    // Partial batches are flushed at least every 0.8 s, so a machine too loaded to deliver the
    // callbacks within ~15 s spends one extra call per flush window: the bound follows the window
    // (17 calls measured when the callbacks took a few seconds; 22 on a CI run where the
    // write-back finished after the callbacks), and a per-callback write-back
    // (about 3,000 calls) still fails.
    long allowed = Math.max(20, 6 + (long) Math.ceil(callbackSeconds / 0.8));
    System.out.printf("callbacks took %.1f s; allowed %d calls%n", callbackSeconds, allowed);
    assertThat(calls).isLessThanOrEqualTo(allowed);
    // Duplicates were injected and dropped: each (MessageSid, status) is stored once.
    assertThat(
            stack.count(
                "SELECT COUNT(*) FROM (SELECT sid, status FROM webhook_event WHERE kind ="
                    + " 'message-status' GROUP BY sid, status HAVING COUNT(*) > 1) d"))
        .isZero();
    assertThat(stack.get("/observe/metrics").body()).contains("twiliocrm_webhook_duplicates_total");
    stack.twilioControl("DELETE", "/sandbox/faults", null);
  }

  @Test
  void stopStartHelpAndRepliesReachConsentAndTheCrm() throws Exception {
    String katherine = "+14155550104";
    String ada = "+14155550101";
    // STOP: consent per recipient and sender, and the Contact's SMS opt-out field.
    handset(katherine, "Stop");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        stack.string(
                            "SELECT status FROM consent WHERE recipient = ? AND sender_scope = ?",
                            katherine,
                            WebhookStack.NUMBER))
                    .isEqualTo("OPTED_OUT"));
    String katherineId = contactId(katherine);
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        stack.salesforce.records("Contact").stream()
                            .filter(r -> katherineId.equals(r.get("Id")))
                            .findFirst()
                            .orElseThrow()
                            .get("SMS_Opt_Out__c"))
                    .isEqualTo(true));
    // HELP: answered with the configured TwiML text, stores no consent change.
    JsonNode help = handset(ada, "help");
    assertThat(help.path("webhook").path("httpStatus").asInt()).isEqualTo(200);
    assertThat(help.path("replies").size()).isGreaterThanOrEqualTo(1);
    assertThat(stack.count("SELECT COUNT(*) FROM consent WHERE recipient = ?", ada)).isZero();
    // A reply: stored, linked to Ada by a CRM lookup, a Task on her record.
    JsonNode reply = handset(ada, "See you at 3pm");
    String sid = reply.path("sid").asText();
    String adaId = contactId(ada);
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(stack.salesforce.records("Task"))
                  .anySatisfy(
                      t -> {
                        assertThat(t.get("WhoId")).isEqualTo(adaId);
                        assertThat(t.get("Description")).isEqualTo("See you at 3pm");
                      });
              Map<String, Object> m = sfMessages().get(sid);
              assertThat(m).isNotNull();
              assertThat(m.get("Direction__c")).isEqualTo("inbound");
              assertThat(m.get("Body__c")).isEqualTo("See you at 3pm");
              assertThat(m.get("Contact__c")).isEqualTo(adaId);
            });
    // START opts back in.
    handset(katherine, "START");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        stack.string("SELECT status FROM consent WHERE recipient = ?", katherine))
                    .isEqualTo("OPTED_IN"));
  }

  private JsonNode handset(String from, String body) throws Exception {
    HttpResponse<String> r =
        stack.twilioControl(
            "POST",
            "/sandbox/handsets/" + WebhookStack.enc(from) + "/messages",
            JSON.writeValueAsString(Map.of("to", WebhookStack.NUMBER, "body", body)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body());
  }

  @Test
  void whileTheOrgIsDownWriteBacksWaitAndArriveInOrder() throws Exception {
    await().atMost(Duration.ofSeconds(20)).until(() -> stack.app.camelContext() != null);
    stack.salesforce.faults().orgDownFor(120_000);
    List<String> sids = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      String sid = String.format("SMdown%026d", i);
      sids.add(sid);
      for (String status : List.of("sent", "delivered", "sending")) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("AccountSid", WebhookStack.ACCOUNT);
        f.put("MessageSid", sid);
        f.put("MessageStatus", status);
        f.put("From", WebhookStack.NUMBER);
        f.put("To", "+15558880000");
        assertThat(
                stack
                    .postSigned("/webhooks/twilio/message-status", f, WebhookStack.TOKEN, Map.of())
                    .statusCode())
            .isEqualTo(200);
      }
    }
    assertThat(stack.salesforce.faults().orgDown()).isTrue();
    // While Salesforce is down the write-backs wait in the database, and the backlog shows it.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(stack.get("/observe/metrics").body())
                    .containsPattern("twiliocrm_crm_writeback_backlog [1-9]"));
    assertThat(sfMessages()).doesNotContainKeys(sids.toArray(new String[0]));
    assertThat(stack.salesforce.apiUsage().byEndpoint().keySet())
        .anyMatch(k -> k.startsWith("503"));
    stack.salesforce.faults().clear();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              Map<String, Map<String, Object>> sf = sfMessages();
              for (String sid : sids) {
                assertThat(sf.get(sid)).as(sid).isNotNull();
                assertThat(sf.get(sid).get("Status__c")).as(sid).isEqualTo("delivered");
              }
            });
  }

  /**
   * A message's interim status waits (webhook.crm.writeback.interim-delay-millis, 20 s here) for
   * its final one: sent, then delivered after a write-back batch has gone, is one record write, not
   * two. A message left at sent is still written once the wait is over.
   */
  @Test
  void statusesWithinTheInterimDelayCostOneRecordWrite() throws Exception {
    await().atMost(Duration.ofSeconds(20)).until(() -> stack.app.camelContext() != null);
    List<String> sids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String sid = String.format("SMonce%028d", i);
      sids.add(sid);
      postStatus(sid, "sent");
    }
    String stuck = String.format("SMstuck%027d", 0);
    postStatus(stuck, "sent");
    // A final status after them: once its record is in Salesforce, a batch has gone that the sent
    // records, changed earlier, would have led if they were due (oldest change first).
    String marker = String.format("SMmarker%026d", 0);
    postStatus(marker, "delivered");
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> sfMessages().containsKey(marker));
    assertThat(sfMessages()).doesNotContainKeys(sids.toArray(new String[0]));
    for (String sid : sids) {
      postStatus(sid, "delivered");
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              Map<String, Map<String, Object>> sf = sfMessages();
              for (String sid : sids) {
                assertThat(sf.get(sid)).as(sid).isNotNull();
                assertThat(sf.get(sid).get("Status__c")).as(sid).isEqualTo("delivered");
              }
              assertThat(sf.get(stuck)).as(stuck).isNotNull();
              assertThat(sf.get(stuck).get("Status__c")).isEqualTo("sent");
            });
    Map<String, Long> writes = stack.salesforce.writes();
    Map<String, Map<String, Object>> sf = sfMessages();
    for (String sid : sids) {
      assertThat(writes.get(String.valueOf(sf.get(sid).get("Id"))))
          .as("record writes of " + sid)
          .isEqualTo(1L);
    }
  }

  private void postStatus(String sid, String status) throws Exception {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("AccountSid", WebhookStack.ACCOUNT);
    f.put("MessageSid", sid);
    f.put("MessageStatus", status);
    f.put("From", WebhookStack.NUMBER);
    f.put("To", "+15558880001");
    assertThat(
            stack
                .postSigned("/webhooks/twilio/message-status", f, WebhookStack.TOKEN, Map.of())
                .statusCode())
        .isEqualTo(200);
  }

  /**
   * REST and OAuth calls, the ones Salesforce counts against the daily API limit. Streaming (CometD
   * long polls of the CRM event subscription) has its own limits and is left out.
   */
  private long restCalls() {
    return stack.salesforce.apiUsage().byEndpoint().entrySet().stream()
        // Write-back calls only: the periodic preflight re-check (describe, limits) and logins
        // also reach the org, at times of their own, and are not what this test bounds.
        .filter(e -> !e.getKey().startsWith("cometd"))
        .filter(e -> !e.getKey().startsWith("GET "))
        .filter(e -> !e.getKey().contains("oauth2/token"))
        .mapToLong(java.util.Map.Entry::getValue)
        .sum();
  }
}
