package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * Store and the shipped stored-event route on the embedded H2 database (the same SQL runs on
 * PostgreSQL in the ITs): dedupe, forward-only statuses on message_state and the outbox row,
 * consent and CRM actions.
 */
class WebhookProcessorH2Test {
  private final Database db = Database.open(TestDatabase.h2("wh").config());
  private final CamelContext ctx = new DefaultCamelContext();
  private final WebhookMetrics metrics = new WebhookMetrics();
  private final WebhookEventStore store =
      new WebhookEventStore(db.dataSource(), db.vendor(), 1, 100, metrics);

  /**
   * The shipped stored-event route (routes/twilio-webhook-events.camel.yaml) with the beans the
   * connector binds, on its own context: the steps run as the YAML orders them.
   */
  private final CamelContext flow = new DefaultCamelContext();

  WebhookProcessorH2Test() throws Exception {
    Properties p = new Properties();
    p.setProperty("webhook.process.poll-millis", "50");
    flow.getPropertiesComponent().setInitialProperties(p);
    WebhookBeans.bind(
        flow.getRegistry()::bind,
        WebhookSettings.from(p::getProperty)
            .withAuthTokens(
                java.util.Map.of(
                    org.twiliocrm.sandbox.twilio.TwilioSandboxSettings.DEFAULT_ACCOUNT_SID,
                    org.twiliocrm.sandbox.twilio.TwilioSandboxSettings.DEFAULT_AUTH_TOKEN)),
        db);
    // This test's store writes the events; the route's wake-up comes from it.
    store.onStored(
        flow.getRegistry().lookupByNameAndType("twilioWebhookEvents", WebhookEventFlow.class)
            ::wake);
    PluginHelper.getRoutesLoader(flow)
        .loadRoutes(
            ResourceHelper.resolveResource(flow, "file:routes/twilio-webhook-events.camel.yaml"));
    flow.start();
  }

  @AfterEach
  void close() throws Exception {
    flow.close();
    store.close();
    ctx.close();
    db.close();
  }

  /** Waits until the route has applied every stored event; returns how many it marked DONE. */
  private int processAll() throws Exception {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "0".equals(one("SELECT COUNT(*) FROM webhook_event WHERE state = 'NEW'")));
    return Integer.parseInt(one("SELECT COUNT(*) FROM webhook_event WHERE state = 'DONE'"));
  }

  private boolean store(String kind, Map<String, String> form) throws Exception {
    Map<String, List<String>> p = new TreeMap<>();
    form.forEach((k, v) -> p.put(k, List.of(v)));
    WebhookEvent e = WebhookGate.event(kind, null, null, p, WebhookGate.encodeForm(p));
    Exchange ex = new DefaultExchange(ctx);
    ex.setProperty(WebhookGate.EVENT, e);
    ex.setProperty(WebhookGate.STATUS, 200);
    store.process(ex);
    return !ex.getProperty(WebhookEventStore.DUPLICATE, Boolean.class);
  }

  private static Map<String, String> status(String sid, String status, String error) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("MessageSid", sid);
    f.put("MessageStatus", status);
    f.put("From", "+15005550006");
    f.put("To", "+14155550101");
    if (error != null) {
      f.put("ErrorCode", error);
    }
    return f;
  }

  private String one(String sql, Object... args) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  @Test
  void duplicatesAreDroppedByTheUniqueKey() throws Exception {
    assertThat(store("message-status", status("SM1", "sent", null))).isTrue();
    assertThat(store("message-status", status("SM1", "sent", null))).isFalse();
    assertThat(store("message-status", status("SM1", "delivered", null))).isTrue();
    assertThat(one("SELECT COUNT(*) FROM webhook_event")).isEqualTo("2");
  }

  @Test
  void lateCallbacksNeverMoveAMessageBackAndErrorCodesStay() throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, status,"
                    + " twilio_sid, twilio_status, crm_object, crm_record_id) VALUES ('k1', 'sms',"
                    + " '+14155550101', 'hi', 'SENT', 'SM2', 'queued', 'Contact', '003X')")) {
      ps.executeUpdate();
    }
    store("message-status", status("SM2", "undelivered", "30003"));
    store("message-status", status("SM2", "sent", null));
    store("message-status", status("SM2", "sending", null));
    assertThat(processAll()).isEqualTo(3);
    assertThat(one("SELECT status FROM message_state WHERE message_sid = 'SM2'"))
        .isEqualTo("undelivered");
    assertThat(one("SELECT error_code FROM message_state WHERE message_sid = 'SM2'"))
        .isEqualTo("30003");
    assertThat(one("SELECT crm_record_id FROM message_state WHERE message_sid = 'SM2'"))
        .isEqualTo("003X");
    assertThat(one("SELECT twilio_status FROM outbox_message WHERE twilio_sid = 'SM2'"))
        .isEqualTo("undelivered");
    assertThat(one("SELECT error_code FROM outbox_message WHERE twilio_sid = 'SM2'"))
        .isEqualTo("30003");
    // In order, a message moves all the way.
    store("message-status", status("SM3", "sent", null));
    processAll();
    store("message-status", status("SM3", "delivered", null));
    store("message-status", status("SM3", "read", null));
    processAll();
    assertThat(one("SELECT status FROM message_state WHERE message_sid = 'SM3'")).isEqualTo("read");
  }

  @Test
  void stopStartAndRepliesWriteConsentAndCrmActions() throws Exception {
    Map<String, String> stop = new LinkedHashMap<>();
    stop.put("MessageSid", "SMin1");
    stop.put("From", "+14155550104");
    stop.put("To", "+15005550006");
    stop.put("Body", "STOP");
    store("inbound", stop);
    processAll();
    assertThat(
            one(
                "SELECT status FROM consent WHERE recipient = '+14155550104' AND sender_scope ="
                    + " '+15005550006'"))
        .isEqualTo("OPTED_OUT");
    assertThat(one("SELECT kind FROM crm_action WHERE message_sid = 'SMin1'")).isEqualTo("OPT_OUT");

    Map<String, String> start = new LinkedHashMap<>(stop);
    start.put("MessageSid", "SMin2");
    start.put("Body", "start");
    start.put("MessagingServiceSid", "MG123");
    store("inbound", start);
    processAll();
    // Scoped to the Messaging Service it was sent to.
    assertThat(one("SELECT status FROM consent WHERE sender_scope = 'MG123'"))
        .isEqualTo("OPTED_IN");

    Map<String, String> reply = new LinkedHashMap<>(stop);
    reply.put("MessageSid", "SMin3");
    reply.put("Body", "Running late");
    store("inbound", reply);
    processAll();
    assertThat(one("SELECT kind FROM crm_action WHERE message_sid = 'SMin3'")).isEqualTo("TASK");
    assertThat(one("SELECT detail FROM crm_action WHERE message_sid = 'SMin3'"))
        .isEqualTo("Running late");
    assertThat(one("SELECT direction FROM message_state WHERE message_sid = 'SMin3'"))
        .isEqualTo("inbound");
    // HELP stores the message but no action.
    Map<String, String> help = new LinkedHashMap<>(stop);
    help.put("MessageSid", "SMin4");
    help.put("Body", "help");
    store("inbound", help);
    processAll();
    assertThat(one("SELECT COUNT(*) FROM crm_action WHERE message_sid = 'SMin4'")).isEqualTo("0");
  }

  /**
   * A reply that comes before the first status callback of the message it answers joins that
   * message's record, not the conversation before it (the two-way support example's flow test
   * failed once in CI this way: the customer answered a case's SMS before its "sent" callback was
   * applied, and the Task went on the contact).
   */
  @Test
  void aReplyJoinsTheLastSendEvenBeforeItsFirstCallback() throws Exception {
    String number = "+14155550105";
    outboxRow("k-contact", number, "SMc1", "Contact", "003A");
    Map<String, String> sent = status("SMc1", "sent", null);
    sent.put("To", number);
    store("message-status", sent);
    processAll();
    assertThat(one("SELECT crm_record_id FROM message_state WHERE message_sid = 'SMc1'"))
        .isEqualTo("003A");
    // The case's acknowledgement is sent; no callback of it has been applied yet.
    outboxRow("k-case", number, "SMc2", "Case", "500B");
    store("inbound", inbound("SMr1", number, "The box was crushed."));
    processAll();
    assertThat(one("SELECT crm_object FROM crm_action WHERE message_sid = 'SMr1'"))
        .isEqualTo("Case");
    assertThat(one("SELECT crm_record_id FROM crm_action WHERE message_sid = 'SMr1'"))
        .isEqualTo("500B");
    assertThat(one("SELECT reply_to_sid FROM message_state WHERE message_sid = 'SMr1'"))
        .isEqualTo("SMc2");
    // Once its callbacks are in, the same message stays the conversation.
    Map<String, String> caseSent = status("SMc2", "sent", null);
    caseSent.put("To", number);
    store("message-status", caseSent);
    processAll();
    store("inbound", inbound("SMr2", number, "Photos follow."));
    processAll();
    assertThat(one("SELECT crm_record_id FROM crm_action WHERE message_sid = 'SMr2'"))
        .isEqualTo("500B");
    // A send that was never accepted (no SID) is not a conversation.
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, status,"
                    + " crm_object, crm_record_id) VALUES ('k-pending', 'sms', ?, 'hi', 'PENDING',"
                    + " 'Lead', '00QC')")) {
      ps.setString(1, number);
      ps.executeUpdate();
    }
    store("inbound", inbound("SMr3", number, "Any news?"));
    processAll();
    assertThat(one("SELECT crm_record_id FROM crm_action WHERE message_sid = 'SMr3'"))
        .isEqualTo("500B");
  }

  private void outboxRow(String key, String to, String sid, String object, String record)
      throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, status,"
                    + " twilio_sid, twilio_status, crm_object, crm_record_id, sent_at) VALUES (?,"
                    + " 'sms', ?, 'hi', 'SENT', ?, 'queued', ?, ?, CURRENT_TIMESTAMP)")) {
      ps.setString(1, key);
      ps.setString(2, to);
      ps.setString(3, sid);
      ps.setString(4, object);
      ps.setString(5, record);
      ps.executeUpdate();
    }
  }

  private static Map<String, String> inbound(String sid, String from, String body) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("MessageSid", sid);
    f.put("From", from);
    f.put("To", "+15005550006");
    f.put("Body", body);
    return f;
  }

  @Test
  void callStatusesReachTheOutboxRowWithAnsweredBy() throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, status,"
                    + " twilio_sid, crm_object, crm_record_id) VALUES ('k2', 'voice',"
                    + " '+14155550101', 'Your appointment is at 3', 'SENT', 'CA1', 'Contact',"
                    + " '003Y')")) {
      ps.executeUpdate();
    }
    Map<String, String> f = new LinkedHashMap<>();
    f.put("CallSid", "CA1");
    f.put("CallStatus", "completed");
    f.put("AnsweredBy", "human");
    f.put("CallDuration", "42");
    store("call-status", f);
    Map<String, String> late = new LinkedHashMap<>(f);
    late.put("CallStatus", "ringing");
    late.remove("AnsweredBy");
    store("call-status", late);
    processAll();
    assertThat(one("SELECT twilio_status FROM outbox_message WHERE twilio_sid = 'CA1'"))
        .isEqualTo("completed");
    assertThat(one("SELECT answered_by FROM outbox_message WHERE twilio_sid = 'CA1'"))
        .isEqualTo("human");
    assertThat(one("SELECT detail FROM crm_action WHERE message_sid = 'CA1'"))
        .contains("completed")
        .contains("human");
  }

  /**
   * A transient database error (here a row lock another transaction holds past the lock timeout, as
   * another replica's may) does not park the event: it stays NEW, its attempt counted, and is
   * applied once the lock is gone. Before, it was parked as FAILED at once and its status lost
   * until someone replayed it (seen as a duplicate key when two replicas inserted one message's
   * state together).
   */
  @Test
  void anEventThatMeetsATransientErrorIsAppliedAgainNotParked() throws Exception {
    store("message-status", status("SMlocked", "sent", null));
    processAll();
    try (Connection holder = db.dataSource().getConnection()) {
      holder.setAutoCommit(false);
      try (PreparedStatement ps =
          holder.prepareStatement(
              "SELECT status FROM message_state WHERE message_sid = 'SMlocked' FOR UPDATE")) {
        ps.executeQuery().close();
      }
      store("message-status", status("SMlocked", "delivered", null));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  "1"
                      .equals(
                          one(
                              "SELECT attempts FROM webhook_event WHERE sid = 'SMlocked'"
                                  + " AND status = 'delivered'")));
      assertThat(
              one(
                  "SELECT state FROM webhook_event WHERE sid = 'SMlocked' AND status ="
                      + " 'delivered'"))
          .isEqualTo("NEW");
      holder.rollback();
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                "delivered"
                    .equals(
                        one("SELECT status FROM message_state WHERE message_sid = 'SMlocked'")));
    assertThat(
            one("SELECT state FROM webhook_event WHERE sid = 'SMlocked' AND status = 'delivered'"))
        .isEqualTo("DONE");
  }

  @Test
  void anEventThatFailsOnItsOwnIsParkedAndTheRestOfItsBatchApplies() throws Exception {
    // A From longer than message_state.from_number (64) fails the insert of this event only.
    Map<String, String> bad = status("SMbad", "sent", null);
    bad.put("From", "+1" + "5".repeat(80));
    store("message-status", status("SMok1", "sent", null));
    store("message-status", bad);
    store("message-status", status("SMok2", "delivered", null));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "0".equals(one("SELECT COUNT(*) FROM webhook_event WHERE state = 'NEW'")));
    assertThat(one("SELECT state FROM webhook_event WHERE sid = 'SMbad'")).isEqualTo("FAILED");
    assertThat(one("SELECT last_error FROM webhook_event WHERE sid = 'SMbad'")).isNotBlank();
    assertThat(one("SELECT status FROM message_state WHERE message_sid = 'SMok1'"))
        .isEqualTo("sent");
    assertThat(one("SELECT status FROM message_state WHERE message_sid = 'SMok2'"))
        .isEqualTo("delivered");
    assertThat(one("SELECT COUNT(*) FROM message_state WHERE message_sid = 'SMbad'"))
        .isEqualTo("0");
  }
}
