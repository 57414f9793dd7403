package org.twiliocrm.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.Redaction;

/**
 * Applies stored webhook events, asynchronously from the requests that brought them. Each batch is
 * claimed with {@code SELECT ... FOR UPDATE SKIP LOCKED} and its effects (message state, outbox
 * row, consent, CRM actions) are committed together with the events' DONE mark, so each event takes
 * effect exactly once even with several replicas, and a crash simply leaves it NEW.
 *
 * <p>Every status change goes through {@link MessageStatus#canMove}: the SQL updates only rows
 * whose current status is a predecessor of the new one, so late and duplicate callbacks change
 * nothing, on the outbox row and on the connector's own message state alike.
 */
public final class WebhookProcessor {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookProcessor.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final DataSource dataSource;
  private final Keywords keywords;
  private final int batch;
  private final boolean outboxTable;
  private final Semaphore wake = new Semaphore(0);

  public WebhookProcessor(DataSource dataSource, Keywords keywords, int batch) {
    this.dataSource = dataSource;
    this.keywords = keywords;
    this.batch = batch;
    this.outboxTable = tableExists(dataSource, "outbox_message");
  }

  /** Wakes {@link #drain} at once instead of at its next poll. */
  public void wake() {
    if (wake.availablePermits() == 0) {
      wake.release();
    }
  }

  /**
   * Route step: processes batches until none is left, then waits up to {@code waitMillis} for new
   * events. Returns how many events it applied.
   */
  public int drain(Exchange exchange, long waitMillis) throws InterruptedException {
    int total = 0;
    int n;
    do {
      n = processBatch();
      total += n;
    } while (n > 0);
    if (total == 0 && waitMillis > 0) {
      wake.tryAcquire(waitMillis, TimeUnit.MILLISECONDS);
    }
    return total;
  }

  /** Claims and applies one batch; on any failure falls back to one event per transaction. */
  public int processBatch() {
    List<long[]> failed = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      List<Stored> events = claim(c, batch);
      if (events.isEmpty()) {
        c.commit();
        return 0;
      }
      try {
        for (Stored e : events) {
          apply(c, e);
        }
        markDone(c, events);
        c.commit();
        return events.size();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        LOG.warn(
            "batch of {} webhook events failed, retrying one by one: {}",
            events.size(),
            e.toString());
      }
      int done = 0;
      for (Stored e : events) {
        done += processOne(c, e.id) ? 1 : 0;
      }
      return Math.max(done, 1);
    } catch (SQLException e) {
      LOG.warn("webhook event processing failed: {}", e.toString());
      return 0;
    }
  }

  private boolean processOne(Connection c, long id) throws SQLException {
    try {
      List<Stored> one = claimId(c, id);
      for (Stored e : one) {
        apply(c, e);
      }
      markDone(c, one);
      c.commit();
      return true;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE webhook_event SET state = 'FAILED', attempts = attempts + 1, last_error = ?"
                  + " WHERE id = ?")) {
        ps.setString(1, truncate(e.toString(), 1000));
        ps.setLong(2, id);
        ps.executeUpdate();
      }
      c.commit();
      LOG.warn("webhook event {} failed and is parked as FAILED: {}", id, e.toString());
      return false;
    }
  }

  record Stored(long id, String kind, String sid, String status, Map<String, List<String>> params) {
    String p(String name) {
      List<String> v = params.get(name);
      return v == null || v.isEmpty() || v.get(0).isEmpty() ? null : v.get(0);
    }
  }

  private List<Stored> claim(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id, kind, sid, status, payload FROM webhook_event WHERE state = 'NEW'"
                + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED")) {
      ps.setInt(1, limit);
      return read(ps);
    }
  }

  private List<Stored> claimId(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id, kind, sid, status, payload FROM webhook_event WHERE state = 'NEW' AND id ="
                + " ? FOR UPDATE SKIP LOCKED")) {
      ps.setLong(1, id);
      return read(ps);
    }
  }

  private static List<Stored> read(PreparedStatement ps) throws SQLException {
    List<Stored> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(
            new Stored(
                rs.getLong(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                params(rs.getString(5))));
      }
    }
    return out;
  }

  static Map<String, List<String>> params(String payload) {
    if (payload != null && payload.startsWith("{")) {
      Map<String, List<String>> out = new TreeMap<>();
      try {
        JsonNode node = JSON.readTree(payload);
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          out.put(
              e.getKey(),
              List.of(e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        }
      } catch (Exception e) {
        throw new IllegalStateException("stored JSON payload does not parse", e);
      }
      return out;
    }
    return WebhookGate.decodeForm(payload);
  }

  private void markDone(Connection c, List<Stored> events) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE webhook_event SET state = 'DONE', processed_at = ? WHERE id = ?")) {
      Timestamp now = Timestamp.from(Instant.now());
      for (Stored e : events) {
        ps.setTimestamp(1, now);
        ps.setLong(2, e.id);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void apply(Connection c, Stored e) throws SQLException {
    switch (e.kind) {
      case "message-status":
        messageStatus(c, e);
        break;
      case "inbound":
        inbound(c, e);
        break;
      case "call-status":
        callStatus(c, e);
        break;
      default:
        LOG.debug("event {} of kind {} needs no processing", e.id, e.kind);
    }
  }

  private void messageStatus(Connection c, Stored e) throws SQLException {
    Integer error = integer(e.p("ErrorCode"));
    Timestamp now = Timestamp.from(Instant.now());
    String to = e.status;
    if (!MessageStatus.known(to)) {
      LOG.info("message {} reported unknown status '{}': stored, not applied", e.sid, to);
      return;
    }
    List<String> preds = guard(MessageStatus.predecessors(to));
    int moved;
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE message_state SET status = ?, error_code = COALESCE(?, error_code),"
                + " sent_at = CASE WHEN ? = 'sent' AND sent_at IS NULL THEN ? ELSE sent_at END,"
                + " delivered_at = CASE WHEN ? IN ('delivered', 'read') AND delivered_at IS NULL"
                + " THEN ? ELSE delivered_at END, updated_at = ?, crm_version = crm_version + 1,"
                + " crm_dirty_since = COALESCE(crm_dirty_since, ?)"
                + " WHERE message_sid = ? AND status IN ("
                + marks(preds.size())
                + ")")) {
      int i = 1;
      ps.setString(i++, to);
      setInt(ps, i++, error);
      ps.setString(i++, to);
      ps.setTimestamp(i++, now);
      ps.setString(i++, to);
      ps.setTimestamp(i++, now);
      ps.setTimestamp(i++, now);
      ps.setTimestamp(i++, now);
      ps.setString(i++, e.sid);
      for (String p : preds) {
        ps.setString(i++, p);
      }
      moved = ps.executeUpdate();
    }
    if (moved == 0 && !exists(c, e.sid)) {
      insertOutbound(c, e, to, error, now);
    }
    if (outboxTable) {
      updateOutbox(c, e.sid, to, error, null, now);
    }
  }

  private void insertOutbound(Connection c, Stored e, String status, Integer error, Timestamp now)
      throws SQLException {
    String crmObject = null;
    String crmRecord = null;
    String body = null;
    Integer segments = integer(e.p("NumSegments"));
    if (outboxTable) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT crm_object, crm_record_id, body, num_segments FROM outbox_message WHERE"
                  + " twilio_sid = ?")) {
        ps.setString(1, e.sid);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            crmObject = rs.getString(1);
            crmRecord = rs.getString(2);
            body = rs.getString(3);
            int n = rs.getInt(4);
            segments = rs.wasNull() ? segments : Integer.valueOf(n);
          }
        }
      }
    }
    String channel =
        e.p("From") != null && e.p("From").startsWith("whatsapp:") ? "whatsapp" : "sms";
    insertState(
        c,
        e.sid,
        "outbound",
        channel,
        status,
        error,
        e.p("From"),
        e.p("To"),
        e.p("MessagingServiceSid"),
        e.p("AccountSid"),
        body,
        segments,
        crmObject,
        crmRecord,
        null,
        "sent".equals(status) ? now : null,
        "delivered".equals(status) || "read".equals(status) ? now : null,
        now,
        1);
  }

  private void updateOutbox(
      Connection c, String sid, String status, Integer error, String answeredBy, Timestamp now)
      throws SQLException {
    List<String> preds = guard(MessageStatus.predecessors(status));
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE outbox_message SET twilio_status = ?, error_code = COALESCE(?, error_code),"
                + " updated_at = ? WHERE twilio_sid = ? AND (twilio_status IS NULL OR"
                + " twilio_status IN ("
                + marks(preds.size())
                + "))")) {
      int i = 1;
      ps.setString(i++, status);
      setInt(ps, i++, error);
      ps.setTimestamp(i++, now);
      ps.setString(i++, sid);
      for (String p : preds) {
        ps.setString(i++, p);
      }
      ps.executeUpdate();
    }
  }

  private void inbound(Connection c, Stored e) throws SQLException {
    if (exists(c, e.sid)) {
      return;
    }
    Timestamp now = Timestamp.from(Instant.now());
    String from = e.p("From");
    String to = e.p("To");
    String body = e.p("Body");
    String replyTo = null;
    String crmObject = null;
    String crmRecord = null;
    // The conversation: the last outbound message to this number, and its CRM record.
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT message_sid, crm_object, crm_record_id FROM message_state WHERE to_number = ?"
                + " AND direction = 'outbound' ORDER BY created_at DESC LIMIT 1")) {
      ps.setString(1, from);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          replyTo = rs.getString(1);
          crmObject = rs.getString(2);
          crmRecord = rs.getString(3);
        }
      }
    }
    if (crmRecord == null && outboxTable) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT twilio_sid, crm_object, crm_record_id FROM outbox_message WHERE recipient = ?"
                  + " AND crm_record_id IS NOT NULL ORDER BY id DESC LIMIT 1")) {
        ps.setString(1, from);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            replyTo = replyTo != null ? replyTo : rs.getString(1);
            crmObject = rs.getString(2);
            crmRecord = rs.getString(3);
          }
        }
      }
    }
    String channel = from != null && from.startsWith("whatsapp:") ? "whatsapp" : "sms";
    insertState(
        c,
        e.sid,
        "inbound",
        channel,
        "received",
        null,
        from,
        to,
        e.p("MessagingServiceSid"),
        e.p("AccountSid"),
        body,
        integer(e.p("NumSegments")),
        crmObject,
        crmRecord,
        replyTo,
        null,
        null,
        now,
        1);
    Keywords.Kind kind = keywords.classify(body);
    String scope = e.p("MessagingServiceSid") != null ? e.p("MessagingServiceSid") : to;
    switch (kind) {
      case OPT_OUT:
        consent(c, from, scope, "OPTED_OUT", body.strip().toUpperCase(java.util.Locale.ROOT), now);
        action(c, "OPT_OUT", e.sid, from, crmObject, crmRecord, null, now);
        LOG.info("{} opted out of {}", Redaction.phone(from), scope);
        break;
      case OPT_IN:
        consent(c, from, scope, "OPTED_IN", body.strip().toUpperCase(java.util.Locale.ROOT), now);
        action(c, "OPT_IN", e.sid, from, crmObject, crmRecord, null, now);
        break;
      case HELP:
        break;
      default:
        action(c, "TASK", e.sid, from, crmObject, crmRecord, body, now);
    }
  }

  private void callStatus(Connection c, Stored e) throws SQLException {
    String status = e.status;
    if (!MessageStatus.known(status)) {
      return;
    }
    Timestamp now = Timestamp.from(Instant.now());
    String answeredBy = e.p("AnsweredBy");
    Integer duration = integer(e.p("CallDuration"));
    List<String> preds = guard(MessageStatus.predecessors(status));
    int moved;
    // A call is a message_state row (direction call, channel voice) and, like a message, a record
    // of the message object in the CRM: each forward move bumps crm_version for the write-back.
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE message_state SET status = ?, answered_by = COALESCE(?, answered_by),"
                + " duration_seconds = COALESCE(?, duration_seconds), updated_at = ?,"
                + " crm_version = crm_version + 1, crm_dirty_since = COALESCE(crm_dirty_since, ?)"
                + " WHERE message_sid = ? AND status IN ("
                + marks(preds.size())
                + ")")) {
      int i = 1;
      ps.setString(i++, status);
      ps.setString(i++, answeredBy);
      setInt(ps, i++, duration);
      ps.setTimestamp(i++, now);
      ps.setTimestamp(i++, now);
      ps.setString(i++, e.sid);
      for (String p : preds) {
        ps.setString(i++, p);
      }
      moved = ps.executeUpdate();
    }
    String crmObject = null;
    String crmRecord = null;
    if (outboxTable) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT crm_object, crm_record_id FROM outbox_message WHERE twilio_sid = ?")) {
        ps.setString(1, e.sid);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            crmObject = rs.getString(1);
            crmRecord = rs.getString(2);
          }
        }
      }
    }
    if (moved == 0 && !exists(c, e.sid)) {
      insertState(
          c,
          e.sid,
          "call",
          "voice",
          status,
          null,
          e.p("From"),
          e.p("To"),
          null,
          e.p("AccountSid"),
          null,
          null,
          crmObject,
          crmRecord,
          null,
          null,
          null,
          now,
          1);
      moved = 1;
    }
    if (answeredBy != null || duration != null) {
      // AnsweredBy and CallDuration are facts, not states: a callback that does not move the
      // status (AMD's answer often rides on an earlier state that arrives late) still records them.
      String changed =
          answeredBy != null && duration != null
              ? "(answered_by IS NULL OR answered_by <> ? OR duration_seconds IS NULL OR"
                  + " duration_seconds <> ?)"
              : answeredBy != null
                  ? "(answered_by IS NULL OR answered_by <> ?)"
                  : "(duration_seconds IS NULL OR duration_seconds <> ?)";
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE message_state SET answered_by = COALESCE(?, answered_by), duration_seconds"
                  + " = COALESCE(?, duration_seconds), updated_at = ?, crm_version = crm_version +"
                  + " 1, crm_dirty_since = COALESCE(crm_dirty_since, ?) WHERE message_sid = ? AND "
                  + changed)) {
        int i = 1;
        ps.setString(i++, answeredBy);
        setInt(ps, i++, duration);
        ps.setTimestamp(i++, now);
        ps.setTimestamp(i++, now);
        ps.setString(i++, e.sid);
        if (answeredBy != null) {
          ps.setString(i++, answeredBy);
        }
        if (duration != null) {
          ps.setInt(i++, duration);
        }
        ps.executeUpdate();
      }
    }
    if (outboxTable) {
      updateOutbox(c, e.sid, status, null, answeredBy, now);
      if (answeredBy != null) {
        try (PreparedStatement ps =
            c.prepareStatement("UPDATE outbox_message SET answered_by = ? WHERE twilio_sid = ?")) {
          ps.setString(1, answeredBy);
          ps.setString(2, e.sid);
          ps.executeUpdate();
        }
      }
    }
    if (moved > 0 && MessageStatus.isFinal(status)) {
      String detail =
          "Call "
              + status
              + (answeredBy != null ? " (answered by " + answeredBy + ")" : "")
              + (duration != null ? ", " + duration + " s" : "");
      action(c, "TASK", e.sid, e.p("To"), crmObject, crmRecord, detail, now);
    }
  }

  private static void insertState(
      Connection c,
      String sid,
      String direction,
      String channel,
      String status,
      Integer error,
      String from,
      String to,
      String serviceSid,
      String accountSid,
      String body,
      Integer segments,
      String crmObject,
      String crmRecord,
      String replyTo,
      Timestamp sentAt,
      Timestamp deliveredAt,
      Timestamp now,
      int crmVersion)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO message_state (message_sid, direction, channel, status, error_code,"
                + " from_number, to_number, messaging_service_sid, account_sid, body,"
                + " num_segments, crm_object, crm_record_id, reply_to_sid, sent_at, delivered_at,"
                + " created_at, updated_at, crm_version, crm_dirty_since) VALUES (?, ?, ?, ?, ?, ?,"
                + " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      int i = 1;
      ps.setString(i++, sid);
      ps.setString(i++, direction);
      ps.setString(i++, channel);
      ps.setString(i++, status);
      setInt(ps, i++, error);
      ps.setString(i++, from);
      ps.setString(i++, to);
      ps.setString(i++, serviceSid);
      ps.setString(i++, accountSid);
      ps.setString(i++, body);
      setInt(ps, i++, segments);
      ps.setString(i++, crmObject);
      ps.setString(i++, crmRecord);
      ps.setString(i++, replyTo);
      ps.setTimestamp(i++, sentAt);
      ps.setTimestamp(i++, deliveredAt);
      ps.setTimestamp(i++, now);
      ps.setTimestamp(i++, now);
      ps.setInt(i++, crmVersion);
      ps.setTimestamp(i++, crmVersion > 0 ? now : null);
      ps.executeUpdate();
    }
  }

  private static void consent(
      Connection c, String recipient, String scope, String status, String keyword, Timestamp now)
      throws SQLException {
    int n;
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE consent SET status = ?, keyword = ?, source = 'inbound-sms', updated_at = ?"
                + " WHERE recipient = ? AND sender_scope = ?")) {
      ps.setString(1, status);
      ps.setString(2, truncate(keyword, 32));
      ps.setTimestamp(3, now);
      ps.setString(4, recipient);
      ps.setString(5, scope);
      n = ps.executeUpdate();
    }
    if (n == 0) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO consent (recipient, sender_scope, status, keyword, source, updated_at)"
                  + " VALUES (?, ?, ?, ?, 'inbound-sms', ?)")) {
        ps.setString(1, recipient);
        ps.setString(2, scope);
        ps.setString(3, status);
        ps.setString(4, truncate(keyword, 32));
        ps.setTimestamp(5, now);
        ps.executeUpdate();
      }
    }
  }

  private static void action(
      Connection c,
      String kind,
      String sid,
      String phone,
      String crmObject,
      String crmRecord,
      String detail,
      Timestamp now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO crm_action (kind, message_sid, phone, crm_object, crm_record_id, detail,"
                + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, kind);
      ps.setString(2, sid);
      ps.setString(3, phone);
      ps.setString(4, crmObject);
      ps.setString(5, crmRecord);
      ps.setString(6, detail);
      ps.setTimestamp(7, now);
      ps.executeUpdate();
    }
  }

  private static boolean exists(Connection c, String sid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM message_state WHERE message_sid = ?")) {
      ps.setString(1, sid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static boolean tableExists(DataSource ds, String table) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + table + " WHERE 1 = 0")) {
      ps.executeQuery().close();
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /** An empty IN list is not SQL: a status nothing precedes gets a value no row has. */
  private static List<String> guard(List<String> preds) {
    return preds.isEmpty() ? List.of("-") : preds;
  }

  private static String marks(int n) {
    return String.join(", ", java.util.Collections.nCopies(Math.max(1, n), "?"));
  }

  private static void setInt(PreparedStatement ps, int i, Integer v) throws SQLException {
    if (v == null) {
      ps.setNull(i, java.sql.Types.INTEGER);
    } else {
      ps.setInt(i, v);
    }
  }

  static Integer integer(String s) {
    if (s == null || s.isBlank()) {
      return null;
    }
    try {
      return Integer.valueOf(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
