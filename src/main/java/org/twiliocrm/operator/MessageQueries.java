package org.twiliocrm.operator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.twiliocrm.config.Redaction;

/**
 * What {@code /api/messages} reads: a search over the outbox and one message's timeline (the outbox
 * row, its attempts, each webhook Twilio sent about it, the CRM write-back and the approval that
 * held or released it). Every filter is a bound parameter; the SQL text only ever holds fixed
 * fragments chosen by which filters are present. Paging is by keyset ({@code id < before}, newest
 * first), so a page costs the same however deep it is. Phone numbers are masked for viewers.
 */
public final class MessageQueries {
  /** Bean name the API looks up. */
  public static final String BEAN = "messageQueries";

  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 200;
  static final Set<String> STATUSES =
      Set.of(
          "PENDING",
          "SENDING",
          "RETRY",
          "RECONCILE",
          "RECONCILING",
          "SENT",
          "BLOCKED",
          "FAILED",
          "HELD");
  static final Set<String> CHANNELS = Set.of("sms", "mms", "whatsapp", "voice", "verify");
  private static final Pattern PHONE = Pattern.compile("\\+?[0-9]{3,15}");
  private static final Pattern SID = Pattern.compile("[A-Za-z0-9]{2,64}");
  private static final Pattern PHONE_SEPARATORS = Pattern.compile("[\\s().-]");

  /** A bad filter: the API answers 400 with this message. */
  public static final class BadFilter extends RuntimeException {
    BadFilter(String message) {
      super(message, null, false, false);
    }
  }

  /** The search's filters as the API received them (all optional). */
  public record Filter(
      String phone,
      String sid,
      String crmRecord,
      String status,
      String channel,
      String template,
      Instant since,
      Instant until,
      Long before,
      Integer limit) {}

  private static final String COLUMNS =
      "id, channel, recipient, sender, template_name, status, twilio_sid, twilio_status,"
          + " error_code, reason_code, crm_object, crm_record_id, campaign, attempts, created_at,"
          + " sent_at";

  private final DataSource dataSource;

  public MessageQueries(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** One page of messages, newest first, and the cursor of the next page (null at the end). */
  public Map<String, Object> search(Filter f, boolean maskPhones) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM outbox_message WHERE 1=1");
    List<Object> params = new ArrayList<>();
    if (f.phone() != null) {
      String phone = PHONE_SEPARATORS.matcher(f.phone().trim()).replaceAll("");
      if (!PHONE.matcher(phone).matches()) {
        throw new BadFilter("'phone' must be a phone number, e.g. +14155552671");
      }
      sql.append(" AND recipient = ?");
      params.add(phone);
    }
    if (f.sid() != null) {
      if (!SID.matcher(f.sid().trim()).matches()) {
        throw new BadFilter("'sid' must be a Twilio SID (letters and digits)");
      }
      sql.append(" AND twilio_sid = ?");
      params.add(f.sid().trim());
    }
    if (f.crmRecord() != null) {
      sql.append(" AND crm_record_id = ?");
      params.add(bounded("crmRecord", f.crmRecord(), 100));
    }
    if (f.status() != null) {
      String s = f.status().trim().toUpperCase(java.util.Locale.ROOT);
      if (!STATUSES.contains(s)) {
        throw new BadFilter("'status' must be one of " + new java.util.TreeSet<>(STATUSES));
      }
      sql.append(" AND status = ?");
      params.add(s);
    }
    if (f.channel() != null) {
      String c = f.channel().trim().toLowerCase(java.util.Locale.ROOT);
      if (!CHANNELS.contains(c)) {
        throw new BadFilter("'channel' must be one of " + new java.util.TreeSet<>(CHANNELS));
      }
      sql.append(" AND channel = ?");
      params.add(c);
    }
    if (f.template() != null) {
      sql.append(" AND template_name = ?");
      params.add(bounded("template", f.template(), 100));
    }
    if (f.since() != null) {
      sql.append(" AND created_at >= ?");
      params.add(Timestamp.from(f.since()));
    }
    if (f.until() != null) {
      sql.append(" AND created_at < ?");
      params.add(Timestamp.from(f.until()));
    }
    if (f.before() != null) {
      sql.append(" AND id < ?");
      params.add(f.before());
    }
    int limit = f.limit() == null ? DEFAULT_LIMIT : f.limit();
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new BadFilter("'limit' must be a whole number from 1 to " + MAX_LIMIT);
    }
    sql.append(" ORDER BY id DESC LIMIT ?");
    params.add(limit + 1);
    List<Map<String, Object>> rows = query(sql.toString(), params);
    String next = null;
    if (rows.size() > limit) {
      rows = rows.subList(0, limit);
      next = String.valueOf(rows.get(limit - 1).get("id"));
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      out.add(masked(r, maskPhones, "recipient", "sender"));
    }
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("messages", out);
    page.put("next", next);
    return page;
  }

  /** One message's timeline, or empty when no outbox row has this id. */
  public Optional<Map<String, Object>> timeline(long id, boolean maskPhones) throws SQLException {
    List<Map<String, Object>> found =
        query(
            "SELECT id, idempotency_key, channel, recipient, sender, messaging_service_sid, body,"
                + " template_name, locale, content_sid, media_urls, send_after, crm_object,"
                + " crm_record_id, campaign, requested_by, status, twilio_sid, twilio_status,"
                + " num_segments, error_code, reason_code, reason, attempts, next_attempt_at,"
                + " approval_id, answered_by, fallback_chain, parent_id, fallback_step,"
                + " fallback_reason, created_at, updated_at, sent_at"
                + " FROM outbox_message WHERE id = ?",
            List.of(id));
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Object> message = masked(found.get(0), maskPhones, "recipient", "sender");
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("message", message);
    t.put(
        "attempts",
        query(
            "SELECT attempt, kind, outcome, twilio_sid, http_status, error_code, detail, instance,"
                + " duration_ms, created_at FROM outbox_attempt WHERE message_id = ? ORDER BY id",
            List.of(id)));
    t.put("fallback", fallbackSteps(message));
    afterTwilio(t, (String) message.get("twilio_sid"));
    return Optional.of(t);
  }

  /**
   * A message by its Twilio SID: an outbox row's timeline when one has it, else a message the
   * connector received (an inbound message, e.g. a reply from the sandbox phone): its message_state
   * row, the webhook that brought it, its CRM write-back and actions (a Task for a reply, the
   * opt-out flag for STOP), and the outbox row it answers, if any. Empty when neither.
   */
  public Optional<Map<String, Object>> timelineBySid(String sid, boolean maskPhones)
      throws SQLException {
    List<Map<String, Object>> outbox =
        query("SELECT id FROM outbox_message WHERE twilio_sid = ?", List.of(sid));
    if (!outbox.isEmpty()) {
      return timeline(((Number) outbox.get(0).get("id")).longValue(), maskPhones);
    }
    List<Map<String, Object>> found =
        query(
            "SELECT message_sid AS twilio_sid, direction, channel, status, from_number,"
                + " to_number, messaging_service_sid, body, num_segments, reply_to_sid,"
                + " created_at, updated_at FROM message_state WHERE message_sid = ? AND"
                + " direction = 'inbound'",
            List.of(sid));
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Object> message = masked(found.get(0), maskPhones, "from_number", "to_number");
    Object replyTo = message.get("reply_to_sid");
    if (replyTo != null) {
      List<Map<String, Object>> answered =
          query("SELECT id FROM outbox_message WHERE twilio_sid = ?", List.of(replyTo));
      message.put("reply_to_id", answered.isEmpty() ? null : answered.get(0).get("id"));
    }
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("message", message);
    t.put("attempts", List.of());
    t.put("fallback", List.of());
    afterTwilio(t, sid);
    return Optional.of(t);
  }

  /** What Twilio and the CRM did with a message: its webhooks, write-back state and actions. */
  private void afterTwilio(Map<String, Object> t, String sid) throws SQLException {
    List<Map<String, Object>> events = List.of();
    Map<String, Object> crm = null;
    List<Map<String, Object>> actions = List.of();
    if (sid != null) {
      // Not the payload: it holds both phone numbers and the body again.
      events =
          query(
              "SELECT id, kind, status, received_at, state, attempts, last_error, processed_at"
                  + " FROM webhook_event WHERE sid = ? ORDER BY received_at, id",
              List.of(sid));
      List<Map<String, Object>> state =
          query(
              "SELECT status, error_code, answered_by, crm_object, crm_record_id, sent_at,"
                  + " delivered_at, updated_at, crm_version, crm_synced_version, crm_attempts,"
                  + " crm_dirty_since, crm_next_attempt_at, crm_last_error"
                  + " FROM message_state WHERE message_sid = ?",
              List.of(sid));
      if (!state.isEmpty()) {
        crm = state.get(0);
        int version = ((Number) crm.get("crm_version")).intValue();
        int synced = ((Number) crm.get("crm_synced_version")).intValue();
        crm.put(
            "writeBack",
            synced >= version
                ? "in the CRM"
                : crm.get("crm_last_error") != null ? "failing, will retry" : "waiting");
      }
      actions =
          query(
              "SELECT kind, state, attempts, last_error, created_at FROM crm_action"
                  + " WHERE message_sid = ? ORDER BY id",
              List.of(sid));
    }
    t.put("events", events);
    t.put("crm", crm);
    t.put("crmActions", actions);
  }

  /** A chain has at most one row per channel; this bounds the walk whatever the data. */
  private static final int MAX_STEPS = 10;

  private static final String STEP =
      "SELECT id, parent_id, channel, status, twilio_status, error_code, fallback_step,"
          + " fallback_reason, created_at FROM outbox_message WHERE ";

  /**
   * The channel fallback chain the row belongs to, first step first (docs/outbox.md, "Channel
   * fallback"): the rows it falls back from (parent_id) and the ones queued after it (found by the
   * unique parent_id index), each with its channel, status and why the step before it failed; the
   * row itself is marked {@code current}. Empty when the row names no chain and is no fallback
   * step.
   */
  private List<Map<String, Object>> fallbackSteps(Map<String, Object> message) throws SQLException {
    if (message.get("fallback_chain") == null && message.get("parent_id") == null) {
      return List.of();
    }
    java.util.LinkedList<Map<String, Object>> steps = new java.util.LinkedList<>();
    Map<String, Object> self =
        query(STEP + "id = ?", List.of(((Number) message.get("id")).longValue())).get(0);
    self.put("current", true);
    steps.add(self);
    Object parent = self.get("parent_id");
    while (parent instanceof Number p && steps.size() < MAX_STEPS) {
      List<Map<String, Object>> r = query(STEP + "id = ?", List.of(p.longValue()));
      if (r.isEmpty()) {
        break;
      }
      steps.addFirst(r.get(0));
      parent = r.get(0).get("parent_id");
    }
    long last = ((Number) self.get("id")).longValue();
    while (steps.size() < MAX_STEPS) {
      List<Map<String, Object>> r = query(STEP + "parent_id = ?", List.of(last));
      if (r.isEmpty()) {
        break;
      }
      steps.addLast(r.get(0));
      last = ((Number) r.get(0).get("id")).longValue();
    }
    return List.copyOf(steps);
  }

  private static String bounded(String name, String value, int max) {
    String v = value.trim();
    if (v.length() > max) {
      throw new BadFilter("'" + name + "' is longer than " + max + " characters");
    }
    return v;
  }

  static Map<String, Object> masked(Map<String, Object> row, boolean mask, String... phoneColumns) {
    if (mask) {
      for (String c : phoneColumns) {
        Object v = row.get(c);
        if (v instanceof String s) {
          row.put(c, Redaction.phone(s));
        }
      }
    }
    return row;
  }

  /** Rows as column name (lower case) to value; timestamps as ISO-8601 instants. */
  private List<Map<String, Object>> query(String sql, List<Object> params) throws SQLException {
    return query(dataSource, sql, params);
  }

  /** As above, for the console's other queries (Dashboard, FailedMessages). */
  static List<Map<String, Object>> query(DataSource dataSource, String sql, List<Object> params)
      throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.size(); i++) {
        ps.setObject(i + 1, params.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        List<Map<String, Object>> rows = new ArrayList<>();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            String name = md.getColumnLabel(i).toLowerCase(java.util.Locale.ROOT);
            Object v = rs.getObject(i);
            if (v instanceof Timestamp || v instanceof java.time.temporal.TemporalAccessor) {
              Timestamp ts = rs.getTimestamp(i);
              v = ts == null ? null : ts.toInstant().toString();
            } else if (v instanceof java.sql.Clob) {
              v = rs.getString(i);
            }
            row.put(name, v);
          }
          rows.add(row);
        }
        return rows;
      }
    }
  }
}
