package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.twiliocrm.db.Database;
import org.twiliocrm.outbound.OutboxStore;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The message status callbacks of a batch, decided in memory ({@link MessageStatusBatch}): on H2,
 * PostgreSQL and MariaDB, random batches leave {@code message_state} and the outbox rows exactly as
 * the callbacks applied one at a time with the per-callback statements (the reference below, the
 * handler's SQL before the batching) leave them, times included; and on PostgreSQL, the shipped
 * stored-event route sends few statements per stored callback, counted on the wire.
 */
class MessageStatusBatchIT {
  private static final String[] STATUSES = {
    "accepted",
    "scheduled",
    "queued",
    "sending",
    "sent",
    "partially_delivered",
    "delivered",
    "undelivered",
    "failed",
    "canceled",
    "read",
    "receiving",
    "received"
  };

  private TestDatabase database;
  private Database db;
  private CamelContext flow;
  private WebhookEventStore store;
  private final CamelContext ctx = new DefaultCamelContext();

  @AfterEach
  void close() throws Exception {
    if (flow != null) {
      flow.close();
    }
    if (store != null) {
      store.close();
    }
    ctx.close();
    if (db != null) {
      db.close();
    }
    if (database != null) {
      database.close();
    }
  }

  // ------------------------------------------------------------------ decided as one at a time

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void aBatchEndsAsItsCallbacksAppliedOneAtATime(TestDatabase.Kind kind) throws Exception {
    database = TestDatabase.of(kind, "msbatch");
    db = Database.open(database.config(4));
    MessageStateStore states = new MessageStateStore(db.dataSource());
    for (long seed = 1; seed <= 12; seed++) {
      Random r = new Random(seed);
      int sids = 2 + r.nextInt(10);
      Timestamp base = Timestamp.from(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(seed));
      // The same starting rows for both sides, under two prefixes.
      List<Object[]> starts = new ArrayList<>();
      for (int k = 0; k < sids; k++) {
        starts.add(
            new Object[] {
              r.nextInt(3) == 0 ? null : STATUSES[r.nextInt(STATUSES.length)],
              r.nextInt(3),
              r.nextBoolean(),
              r.nextInt(4) == 0 ? null : STATUSES[r.nextInt(STATUSES.length)],
              r.nextInt(8) == 0
            });
      }
      List<StoredEvent> events = new ArrayList<>();
      int n = 1 + r.nextInt(60);
      for (int i = 0; i < n; i++) {
        Map<String, List<String>> p = new TreeMap<>();
        p.put("From", List.of(r.nextBoolean() ? "+15005550006" : "whatsapp:+15005550006"));
        p.put("To", List.of("+14155550101"));
        if (r.nextInt(3) == 0) {
          p.put("ErrorCode", List.of(String.valueOf(30001 + r.nextInt(5))));
        }
        if (r.nextBoolean()) {
          p.put("NumSegments", List.of(String.valueOf(1 + r.nextInt(3))));
        }
        events.add(
            new StoredEvent(
                i + 1,
                "message-status",
                String.valueOf(r.nextInt(sids)),
                STATUSES[r.nextInt(STATUSES.length)],
                p));
      }
      boolean[] flushAfter = new boolean[n];
      for (int i = 0; i < n; i++) {
        flushAfter[i] = r.nextInt(8) == 0;
      }
      String ref = "R" + seed + "-";
      String bat = "B" + seed + "-";
      for (String prefix : List.of(ref, bat)) {
        for (int k = 0; k < sids; k++) {
          start(states, prefix + k, starts.get(k), base);
        }
      }
      try (Connection c = db.dataSource().getConnection()) {
        c.setAutoCommit(false);
        for (int i = 0; i < n; i++) {
          StoredEvent e = renamed(events.get(i), ref);
          reference(c, states, e, e.integer("ErrorCode"), at(base, i));
        }
        c.commit();
        List<StoredEvent> batch = new ArrayList<>();
        for (StoredEvent e : events) {
          batch.add(renamed(e, bat));
        }
        MessageStatusBatch b = new MessageStatusBatch(c, batch, states, true);
        for (int i = 0; i < n; i++) {
          StoredEvent e = batch.get(i);
          b.apply(e, e.integer("ErrorCode"), at(base, i));
          if (flushAfter[i]) {
            b.flush(); // as when another step needs the tables in the middle of the batch
          }
        }
        b.flush();
        c.commit();
      }
      for (int k = 0; k < sids; k++) {
        assertThat(state(bat + k))
            .as("seed %d, message %d: message_state", seed, k)
            .isEqualTo(state(ref + k));
        assertThat(outbox(bat + k))
            .as("seed %d, message %d: outbox rows", seed, k)
            .isEqualTo(outbox(ref + k));
      }
    }
  }

  private static Timestamp at(Timestamp base, int i) {
    return Timestamp.from(base.toInstant().plusMillis(1_000L * (i + 1)));
  }

  private static StoredEvent renamed(StoredEvent e, String prefix) {
    return new StoredEvent(e.id(), e.kind(), prefix + e.sid(), e.status(), e.params());
  }

  /** A message's starting rows: its state (status or none), outbox row(s) and their status. */
  private void start(MessageStateStore states, String sid, Object[] s, Timestamp base)
      throws SQLException {
    try (Connection c = db.dataSource().getConnection()) {
      if (s[0] != null) {
        states.insert(
            c,
            new MessageState(
                sid,
                "outbound",
                "sms",
                (String) s[0],
                (Boolean) s[2] ? 30007 : null,
                "+15005550006",
                "+14155550101",
                null,
                "AC1",
                "before",
                1,
                null,
                null,
                null,
                (Boolean) s[2] ? base : null,
                null),
            base);
        try (PreparedStatement ps =
            c.prepareStatement(
                "UPDATE message_state SET crm_version = crm_version + ?, crm_dirty_since = CASE"
                    + " WHEN ? THEN NULL ELSE crm_dirty_since END WHERE message_sid = ?")) {
          ps.setInt(1, (Integer) s[1]);
          ps.setBoolean(2, (Boolean) s[2]);
          ps.setString(3, sid);
          ps.executeUpdate();
        }
      }
      int rows = (Integer) s[1] == 0 ? 0 : (Boolean) s[4] ? 2 : 1;
      for (int i = 0; i < rows; i++) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO outbox_message (idempotency_key, channel, recipient, body, status,"
                    + " twilio_sid, twilio_status, crm_object, crm_record_id, num_segments,"
                    + " updated_at) VALUES (?, 'sms', '+14155550101', ?, 'SENT', ?, ?, 'Contact',"
                    + " ?, 2, ?)")) {
          ps.setString(1, sid + "/" + i);
          ps.setString(2, "hello " + i);
          ps.setString(3, sid);
          ps.setString(4, i == 0 ? (String) s[3] : "queued");
          ps.setString(5, "003" + i);
          ps.setTimestamp(6, base);
          ps.executeUpdate();
        }
      }
    }
  }

  /** The per-callback statements (the handler before the batching), as the reference. */
  private static void reference(
      Connection c, MessageStateStore states, StoredEvent e, Integer error, Timestamp now)
      throws SQLException {
    String to = e.status();
    if (!moveMessage(c, e.sid(), to, error, now) && !states.exists(c, e.sid())) {
      Optional<OutboxStore.Sent> row = OutboxStore.bySid(c, e.sid());
      Integer segments = row.map(OutboxStore.Sent::segments).orElse(e.integer("NumSegments"));
      states.insert(
          c,
          new MessageState(
              e.sid(),
              "outbound",
              StoredEvent.channelOf(e.p("From")),
              to,
              error,
              e.p("From"),
              e.p("To"),
              e.p("MessagingServiceSid"),
              e.p("AccountSid"),
              row.map(OutboxStore.Sent::body).orElse(null),
              segments,
              row.map(OutboxStore.Sent::crmObject).orElse(null),
              row.map(OutboxStore.Sent::crmRecordId).orElse(null),
              null,
              "sent".equals(to) ? now : null,
              "delivered".equals(to) || "read".equals(to) ? now : null),
          now);
    }
    OutboxStore.applyTwilioStatus(c, e.sid(), to, MessageStatus.predecessors(to), error, null, now);
  }

  private static boolean moveMessage(
      Connection c, String sid, String to, Integer error, Timestamp now) throws SQLException {
    List<String> preds = MessageStateStore.predecessors(to);
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE message_state SET status = ?, error_code = COALESCE(?, error_code),"
                + " sent_at = CASE WHEN ? = 'sent' AND sent_at IS NULL THEN ? ELSE sent_at END,"
                + " delivered_at = CASE WHEN ? IN ('delivered', 'read') AND delivered_at IS NULL"
                + " THEN ? ELSE delivered_at END, updated_at = ?, crm_version = crm_version + 1,"
                + " crm_dirty_since = COALESCE(crm_dirty_since, ?)"
                + " WHERE message_sid = ? AND status IN ("
                + MessageStateStore.marks(preds.size())
                + ")")) {
      int i = 1;
      ps.setString(i++, to);
      MessageStateStore.setInt(ps, i++, error);
      ps.setString(i++, to);
      ps.setTimestamp(i++, now);
      ps.setString(i++, to);
      ps.setTimestamp(i++, now);
      ps.setTimestamp(i++, now);
      ps.setTimestamp(i++, now);
      ps.setString(i++, sid);
      for (String p : preds) {
        ps.setString(i++, p);
      }
      return ps.executeUpdate() > 0;
    }
  }

  private List<List<String>> state(String sid) {
    return database.rows(
        "SELECT direction, channel, status, error_code, from_number, to_number, body,"
            + " num_segments, crm_object, crm_record_id, sent_at, delivered_at, created_at,"
            + " updated_at, crm_version, crm_dirty_since FROM message_state WHERE message_sid = ?",
        sid);
  }

  private List<List<String>> outbox(String sid) {
    return database.rows(
        "SELECT twilio_status, error_code, updated_at, body FROM outbox_message WHERE"
            + " twilio_sid = ? ORDER BY id",
        sid);
  }

  // ------------------------------------------------------------------ statements on the wire

  @ParameterizedTest
  @EnumSource(
      value = TestDatabase.Kind.class,
      names = {"POSTGRES"})
  void storedStatusCallbacksCostLessThanOneStatementEach(TestDatabase.Kind kind) throws Exception {
    database = TestDatabase.of(kind, "msbwire");
    db = Database.open(database.config(4));
    store = new WebhookEventStore(db.dataSource(), db.vendor(), 1, 500, new WebhookMetrics());
    Properties p = new Properties();
    // Woken by the store; no polls in between to count.
    p.setProperty("webhook.process.poll-millis", "600000");
    flow = new DefaultCamelContext();
    flow.getPropertiesComponent().setInitialProperties(p);
    WebhookBeans.bind(
        flow.getRegistry()::bind,
        WebhookSettings.from(p::getProperty)
            .withAuthTokens(
                Map.of(
                    org.twiliocrm.sandbox.twilio.TwilioSandboxSettings.DEFAULT_ACCOUNT_SID,
                    org.twiliocrm.sandbox.twilio.TwilioSandboxSettings.DEFAULT_AUTH_TOKEN)),
        db);
    store.onStored(
        flow.getRegistry().lookupByNameAndType("twilioWebhookEvents", WebhookEventFlow.class)
            ::wake);
    PluginHelper.getRoutesLoader(flow)
        .loadRoutes(
            ResourceHelper.resolveResource(flow, "file:routes/twilio-webhook-events.camel.yaml"));
    // As the benchmark sends them: sent (a new message), then delivered, then a late sending.
    int messages = 60;
    for (int i = 0; i < messages; i++) {
      storeStatus("SMwire" + i, "sent");
    }
    try (PgWireCount wire = new PgWireCount(t -> t.contains("twilio-webhook-events"))) {
      flow.start();
      awaitApplied(messages);
      // The second round stored while the route waits, so that it is claimed as one batch.
      flow.getRouteController().stopRoute("twilio-webhook-events");
      for (int i = 0; i < messages; i++) {
        storeStatus("SMwire" + i, "delivered");
        storeStatus("SMwire" + i, "sending");
      }
      flow.getRouteController().startRoute("twilio-webhook-events");
      awaitApplied(3 * messages);
      long statements = wire.statements.get();
      System.out.printf("statements for %d stored callbacks: %d%n", 3 * messages, statements);
      // One at a time this was 10 statements per message (sent: UPDATE, SELECT, SELECT, INSERT,
      // outbox UPDATE; delivered: 2; sending: 3), over 600 for 180 callbacks with the claims,
      // DONE marks and commits.
      assertThat(statements).as("statements for %d callbacks", 3 * messages).isLessThan(180);
    }
    assertThat(database.count("SELECT COUNT(*) FROM message_state WHERE status = 'delivered'"))
        .isEqualTo(messages);
    assertThat(
            database.count(
                "SELECT COUNT(*) FROM message_state WHERE crm_version = 2 AND sent_at IS NOT NULL"
                    + " AND delivered_at IS NOT NULL"))
        .isEqualTo(messages);
  }

  private void storeStatus(String sid, String status) throws Exception {
    Map<String, List<String>> p = new TreeMap<>();
    Map<String, String> f = new LinkedHashMap<>();
    f.put("MessageSid", sid);
    f.put("MessageStatus", status);
    f.put("From", "+15005550006");
    f.put("To", "+14155550101");
    f.forEach((k, v) -> p.put(k, List.of(v)));
    WebhookEvent e = WebhookGate.event("message-status", null, null, p, WebhookGate.encodeForm(p));
    Exchange ex = new DefaultExchange(ctx);
    ex.setProperty(WebhookGate.EVENT, e);
    ex.setProperty(WebhookGate.STATUS, 200);
    store.process(ex);
  }

  private void awaitApplied(int done) {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                database.count("SELECT COUNT(*) FROM webhook_event WHERE state = 'DONE'") == done);
  }
}
