package org.twiliocrm.crm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.Redaction;
import org.twiliocrm.webhook.WebhookMetrics;

/**
 * Store and forward into Salesforce. The database is the queue: {@code message_state} rows whose
 * {@code crm_version} is ahead of {@code crm_synced_version}, and PENDING {@code crm_action} rows.
 * The write-back route asks for a batch (up to 200 records, one sObject Collections call), sends it
 * through a Salesforce sink kamelet, and reports the result here.
 *
 * <p>Ordering: each record sent is the message's current state, which only moves forward, and one
 * route thread sends batches one after the other; a retried batch sends the then-current state. So
 * the CRM record never goes back, even after the org was down for a while.
 *
 * <p>Backoff: a failed call (org down, 503, API limit) pauses the write-back, doubling from {@code
 * initialBackoff} to {@code maxBackoff}; records stay in the database meanwhile. A record
 * Salesforce rejects on its own (validation) is retried on its own backoff, so it cannot block the
 * others.
 */
public final class CrmWriteback {
  private static final Logger LOG = LoggerFactory.getLogger(CrmWriteback.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String BATCH = "crmBatch";
  public static final String MORE = "crmMore";

  private final DataSource dataSource;
  private final WebhookMetrics metrics;
  private final CrmLookup lookup;
  private final int batchSize;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private volatile Instant pausedUntil = Instant.EPOCH;
  private int consecutiveFailures;
  private final AtomicLong backlog = new AtomicLong();

  /**
   * Records whose call failed in an unknown way (a timeout: the request may still land later). A
   * success that comes soon after such a failure is not trusted: the record is written once more
   * after {@link #SUSPECT_GUARD}, so a stale request that lands late cannot leave an older state.
   */
  private final Map<String, Instant> suspects = new java.util.concurrent.ConcurrentHashMap<>();

  static final Duration SUSPECT_GUARD = Duration.ofSeconds(10);
  private volatile long backlogCountedAt;

  public CrmWriteback(
      DataSource dataSource,
      WebhookMetrics metrics,
      CrmLookup lookup,
      int batchSize,
      Duration initialBackoff,
      Duration maxBackoff) {
    this.dataSource = dataSource;
    this.metrics = metrics;
    this.lookup = lookup;
    this.batchSize = batchSize;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    metrics.gauge("twiliocrm.crm.writeback.backlog", backlog::get);
  }

  record Sent(String key, long version, long actionId) {}

  // ---------------------------------------------------------------- messages

  /**
   * Route step: the next batch of message records as an sObject Collections body, or null when
   * nothing is due (or the write-back is paused after a failure). Mapping from exchange properties
   * the route sets: crmObject, crmExternalId, crmFields, crmLinks.
   */
  public String messageBatch(Exchange exchange) throws SQLException {
    metrics.bind(exchange.getContext());
    exchange.setProperty(MORE, false);
    countBacklog();
    if (Instant.now().isBefore(pausedUntil)) {
      return null;
    }
    String object = exchange.getProperty("crmObject", String.class);
    String externalId = exchange.getProperty("crmExternalId", String.class);
    Map<String, String> fields =
        CrmMapping.parse("crmFields", exchange.getProperty("crmFields", String.class));
    Map<String, String> links =
        CrmMapping.parse("crmLinks", exchange.getProperty("crmLinks", String.class));
    List<Sent> sent = new ArrayList<>();
    ArrayNode records = JSON.createArrayNode();
    Timestamp oldest = null;
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT m.message_sid, m.direction, m.channel, m.status, m.error_code,"
                    + " m.from_number, m.to_number, m.body, m.num_segments, m.sent_at,"
                    + " m.delivered_at, m.created_at, m.crm_version, m.crm_object,"
                    + " m.crm_record_id, m.account_sid, m.crm_dirty_since, m.answered_by,"
                    + " m.duration_seconds FROM message_state m WHERE"
                    + " m.crm_version > m.crm_synced_version AND (m.crm_next_attempt_at IS NULL OR"
                    + " m.crm_next_attempt_at <= ?) ORDER BY m.crm_dirty_since, m.message_sid LIMIT"
                    + " ?")) {
      ps.setTimestamp(1, Timestamp.from(Instant.now()));
      ps.setInt(2, batchSize);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Map<String, Object> src = new LinkedHashMap<>();
          String sid = rs.getString(1);
          src.put("sid", sid);
          String direction = rs.getString(2);
          src.put(
              "direction",
              "inbound".equals(direction)
                  ? "inbound"
                  : "call".equals(direction) ? "outbound-call" : "outbound-api");
          src.put("channel", rs.getString(3));
          src.put("status", rs.getString(4));
          int err = rs.getInt(5);
          src.put("errorCode", rs.wasNull() ? null : String.valueOf(err));
          src.put("from", rs.getString(6));
          src.put("to", rs.getString(7));
          src.put("body", rs.getString(8));
          int seg = rs.getInt(9);
          src.put("segments", rs.wasNull() ? null : seg);
          src.put("sentAt", iso(rs.getTimestamp(10)));
          src.put("deliveredAt", iso(rs.getTimestamp(11)));
          src.put("createdAt", iso(rs.getTimestamp(12)));
          src.put("accountSid", rs.getString(16));
          src.put("answeredBy", rs.getString(18));
          int duration = rs.getInt(19);
          src.put("duration", rs.wasNull() ? null : duration);
          ObjectNode r = records.addObject();
          r.putObject("attributes").put("type", object);
          r.put(externalId, sid);
          for (Map.Entry<String, String> f : fields.entrySet()) {
            put(r, f.getKey(), value(f.getValue(), src));
          }
          String crmObject = rs.getString(14);
          String crmRecord = rs.getString(15);
          if (crmObject != null && crmRecord != null && links.containsKey(crmObject)) {
            r.put(links.get(crmObject), crmRecord);
          }
          sent.add(new Sent(sid, rs.getLong(13), 0));
          Timestamp dirty = rs.getTimestamp(17);
          if (dirty != null && (oldest == null || dirty.before(oldest))) {
            oldest = dirty;
          }
        }
      }
    }
    if (sent.isEmpty()) {
      return null;
    }
    // Coalescing: a full batch goes at once; a partial one waits until its oldest change is
    // crmMaxDelayMillis old, so a message's quick succession of statuses costs one write. The
    // younger records ride along in the same call for free.
    long maxDelay = exchange.getProperty("crmMaxDelayMillis", 0L, Long.class);
    if (sent.size() < batchSize
        && oldest != null
        && oldest.toInstant().isAfter(Instant.now().minusMillis(maxDelay))) {
      return null;
    }
    exchange.setProperty(BATCH, sent);
    exchange.setProperty(MORE, sent.size() == batchSize);
    return collection(records);
  }

  /** Route step after a successful call: marks each record synced or backs it off alone. */
  public void messagesSent(Exchange exchange) throws Exception {
    @SuppressWarnings("unchecked")
    List<Sent> sent = exchange.getProperty(BATCH, List.class);
    JsonNode results = JSON.readTree(exchange.getMessage().getBody(String.class));
    succeeded();
    // One statement per row in autocommit on purpose: the event processor locks message_state
    // rows in its own order, and a multi-row transaction (a JDBC batch is one) could deadlock.
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      try (PreparedStatement ok =
              c.prepareStatement(
                  "UPDATE message_state SET crm_synced_version = ?, crm_attempts = 0,"
                      + " crm_next_attempt_at = NULL, crm_last_error = NULL, crm_dirty_since = CASE"
                      + " WHEN crm_version <= ? THEN NULL ELSE crm_dirty_since END WHERE"
                      + " message_sid = ? AND crm_synced_version < ?");
          PreparedStatement bad =
              c.prepareStatement(
                  "UPDATE message_state SET crm_attempts = crm_attempts + 1, crm_next_attempt_at"
                      + " = ?, crm_last_error = ? WHERE message_sid = ?")) {
        for (int i = 0; i < sent.size(); i++) {
          Sent s = sent.get(i);
          JsonNode r = results != null && results.isArray() ? results.get(i) : null;
          Instant failedAt = suspects.remove(s.key());
          if (r != null
              && r.path("success").asBoolean(false)
              && failedAt != null
              && Instant.now().isBefore(failedAt.plus(SUSPECT_GUARD))) {
            bad.setTimestamp(1, Timestamp.from(failedAt.plus(SUSPECT_GUARD)));
            bad.setString(2, "re-sent after an ambiguous failure");
            bad.setString(3, s.key());
            bad.executeUpdate();
          } else if (r != null && r.path("success").asBoolean(false)) {
            ok.setLong(1, s.version());
            ok.setLong(2, s.version());
            ok.setString(3, s.key());
            ok.setLong(4, s.version());
            ok.executeUpdate();
          } else {
            bad.setTimestamp(1, Timestamp.from(Instant.now().plus(maxBackoff)));
            bad.setString(2, truncate(r == null ? "no result" : r.path("errors").toString()));
            bad.setString(3, s.key());
            bad.executeUpdate();
            LOG.warn("Salesforce rejected message {}: {}", s.key(), r);
          }
        }
      }
    }
    metrics.crmCall("ok");
    backlogCountedAt = 0;
    exchange.setProperty(BATCH, null);
  }

  /** Route step when the call failed as a whole: nothing is marked, the write-back pauses. */
  public void failed(Exchange exchange) {
    Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
    @SuppressWarnings("unchecked")
    List<Sent> batch = exchange.getProperty(BATCH, List.class);
    // A refusal with an HTTP status (503 org down, 403 limit) was not applied: nothing to fear.
    // Anything else (timeout, connection reset) may still land later.
    boolean definite = false;
    for (Throwable t = e; t != null && !definite; t = t.getCause()) {
      definite =
          t instanceof org.apache.camel.component.salesforce.api.SalesforceException se
              && se.getStatusCode() >= 400;
    }
    if (batch != null && !definite) {
      Instant now = Instant.now();
      for (Sent s : batch) {
        if (s.actionId() == 0) {
          suspects.put(s.key(), now);
        }
      }
    }
    Duration wait;
    synchronized (this) {
      consecutiveFailures++;
      long factor = 1L << Math.min(20, consecutiveFailures - 1);
      wait = initialBackoff.multipliedBy(factor);
      if (wait.compareTo(maxBackoff) > 0) {
        wait = maxBackoff;
      }
      pausedUntil = Instant.now().plus(wait);
    }
    metrics.crmCall("failed");
    exchange.setProperty(MORE, false);
    exchange.setProperty(BATCH, null);
    LOG.warn(
        "Salesforce write-back failed ({} in a row), retrying in {} ms: {}",
        consecutiveFailures,
        wait.toMillis(),
        e == null ? "unknown" : e.getMessage());
  }

  private synchronized void succeeded() {
    consecutiveFailures = 0;
    pausedUntil = Instant.EPOCH;
  }

  // ---------------------------------------------------------------- actions

  /**
   * Route step: the next batch of Tasks (inbound replies, finished calls) as a create collection,
   * or null. Mapping properties: crmTaskObject, crmTaskFields, crmTaskLinks.
   */
  public String taskBatch(Exchange exchange) throws SQLException {
    metrics.bind(exchange.getContext());
    exchange.setProperty(MORE, false);
    if (Instant.now().isBefore(pausedUntil)) {
      return null;
    }
    String object = exchange.getProperty("crmTaskObject", String.class);
    Map<String, String> fields =
        CrmMapping.parse("crmTaskFields", exchange.getProperty("crmTaskFields", String.class));
    Map<String, String> links =
        CrmMapping.parse("crmTaskLinks", exchange.getProperty("crmTaskLinks", String.class));
    List<Action> actions = pendingActions(exchange, "kind = 'TASK'");
    List<Sent> sent = new ArrayList<>();
    ArrayNode records = JSON.createArrayNode();
    for (Action a : actions) {
      if (a.crmRecord == null || !links.containsKey(a.crmObject)) {
        finish(a.id, "no CRM record for " + Redaction.phone(a.phone));
        continue;
      }
      Map<String, Object> src = new LinkedHashMap<>();
      src.put("detail", a.detail);
      src.put("sid", a.sid);
      src.put("phone", a.phone);
      src.put("subject", a.sid != null && a.sid.startsWith("CA") ? "Call" : "SMS reply");
      ObjectNode r = records.addObject();
      r.putObject("attributes").put("type", object);
      for (Map.Entry<String, String> f : fields.entrySet()) {
        put(r, f.getKey(), value(f.getValue(), src));
      }
      r.put(links.get(a.crmObject), a.crmRecord);
      sent.add(new Sent(a.sid, 0, a.id));
    }
    if (sent.isEmpty()) {
      return null;
    }
    exchange.setProperty(BATCH, sent);
    exchange.setProperty(MORE, actions.size() == batchSize);
    return collection(records);
  }

  /**
   * Route step: the next batch of opt-out flag updates (STOP sets, START clears the field named by
   * the crmOptOutField property) as an update collection by record Id, or null.
   */
  public String optOutBatch(Exchange exchange) throws SQLException {
    exchange.setProperty(MORE, false);
    if (Instant.now().isBefore(pausedUntil)) {
      return null;
    }
    String field = exchange.getProperty("crmOptOutField", String.class);
    List<String> objects =
        List.of(exchange.getProperty("crmOptOutObjects", "Contact,Lead", String.class).split(","));
    List<Action> actions = pendingActions(exchange, "kind IN ('OPT_OUT', 'OPT_IN')");
    // One record may appear once per collection: the latest action per record wins, the earlier
    // ones are finished as superseded.
    Map<String, Action> latest = new LinkedHashMap<>();
    for (Action a : actions) {
      if (a.crmRecord == null || !objects.contains(a.crmObject)) {
        finish(a.id, "no Contact/Lead for " + Redaction.phone(a.phone));
        continue;
      }
      Action before = latest.remove(a.crmRecord);
      if (before != null) {
        finish(before.id, "superseded by action " + a.id);
      }
      latest.put(a.crmRecord, a);
    }
    if (latest.isEmpty()) {
      return null;
    }
    List<Sent> sent = new ArrayList<>();
    ArrayNode records = JSON.createArrayNode();
    for (Action a : latest.values()) {
      ObjectNode r = records.addObject();
      r.putObject("attributes").put("type", a.crmObject);
      r.put("Id", a.crmRecord);
      r.put(field, "OPT_OUT".equals(a.kind));
      sent.add(new Sent(a.sid, 0, a.id));
    }
    exchange.setProperty(BATCH, sent);
    exchange.setProperty(MORE, actions.size() == batchSize);
    return collection(records);
  }

  /** Route step after a successful action call. */
  public void actionsSent(Exchange exchange) throws Exception {
    @SuppressWarnings("unchecked")
    List<Sent> sent = exchange.getProperty(BATCH, List.class);
    JsonNode results = JSON.readTree(exchange.getMessage().getBody(String.class));
    succeeded();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ok =
            c.prepareStatement(
                "UPDATE crm_action SET state = 'DONE', last_error = NULL WHERE id = ?");
        PreparedStatement bad =
            c.prepareStatement(
                "UPDATE crm_action SET attempts = attempts + 1, next_attempt_at = ?, last_error ="
                    + " ?, state = CASE WHEN attempts >= 9 THEN 'FAILED' ELSE state END WHERE id"
                    + " = ?")) {
      for (int i = 0; i < sent.size(); i++) {
        JsonNode r = results != null && results.isArray() ? results.get(i) : null;
        if (r != null && r.path("success").asBoolean(false)) {
          ok.setLong(1, sent.get(i).actionId());
          ok.addBatch();
        } else {
          bad.setTimestamp(1, Timestamp.from(Instant.now().plus(maxBackoff)));
          bad.setString(2, truncate(r == null ? "no result" : r.path("errors").toString()));
          bad.setLong(3, sent.get(i).actionId());
          bad.addBatch();
        }
      }
      ok.executeBatch();
      bad.executeBatch();
    }
    metrics.crmCall("ok");
    exchange.setProperty(BATCH, null);
  }

  private record Action(
      long id,
      String kind,
      String sid,
      String phone,
      String crmObject,
      String crmRecord,
      String detail) {}

  private List<Action> pendingActions(Exchange exchange, String kindFilter) throws SQLException {
    List<Action> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, kind, message_sid, phone, crm_object, crm_record_id, detail FROM"
                    + " crm_action WHERE state = 'PENDING' AND "
                    + kindFilter
                    + " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT"
                    + " ?")) {
      ps.setTimestamp(1, Timestamp.from(Instant.now()));
      ps.setInt(2, batchSize);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Action(
                  rs.getLong(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  rs.getString(6),
                  rs.getString(7)));
        }
      }
    }
    // Replies nobody can be linked to locally: find the Contact or Lead by phone (SOQL), and
    // link the inbound message record too.
    List<Action> resolved = new ArrayList<>(out.size());
    for (Action a : out) {
      if (a.crmRecord == null && a.phone != null) {
        CrmLookup.Found f = lookup.byPhone(exchange.getContext(), a.phone);
        if (f != null) {
          link(a, f);
          a = new Action(a.id, a.kind, a.sid, a.phone, f.object(), f.id(), a.detail);
        }
      }
      resolved.add(a);
    }
    return resolved;
  }

  private void link(Action a, CrmLookup.Found f) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE crm_action SET crm_object = ?, crm_record_id = ? WHERE id = ?")) {
        ps.setString(1, f.object());
        ps.setString(2, f.id());
        ps.setLong(3, a.id);
        ps.executeUpdate();
      }
      if (a.sid != null) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "UPDATE message_state SET crm_object = ?, crm_record_id = ?, crm_version ="
                    + " crm_version + 1, crm_dirty_since = COALESCE(crm_dirty_since, ?) WHERE"
                    + " message_sid = ? AND crm_record_id IS NULL AND"
                    + " direction <> 'call'")) {
          ps.setString(1, f.object());
          ps.setString(2, f.id());
          ps.setTimestamp(3, Timestamp.from(Instant.now()));
          ps.setString(4, a.sid);
          ps.executeUpdate();
        }
      }
    }
  }

  private void finish(long id, String note) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE crm_action SET state = 'DONE', last_error = ? WHERE id = ?")) {
      ps.setString(1, note);
      ps.setLong(2, id);
      ps.executeUpdate();
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Records not yet in Salesforce (messages and actions); also the backlog gauge's value. */
  public long backlog() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT (SELECT COUNT(*) FROM message_state WHERE crm_version >"
                    + " crm_synced_version) + (SELECT COUNT(*) FROM crm_action WHERE state ="
                    + " 'PENDING')");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      long n = rs.getLong(1);
      backlog.set(n);
      backlogCountedAt = System.currentTimeMillis();
      return n;
    }
  }

  private void countBacklog() {
    if (System.currentTimeMillis() - backlogCountedAt > 2000) {
      try {
        backlog();
      } catch (SQLException e) {
        LOG.debug("backlog count failed: {}", e.toString());
      }
    }
  }

  private static String collection(ArrayNode records) {
    ObjectNode body = JSON.createObjectNode();
    body.put("allOrNone", false);
    body.set("records", records);
    return body.toString();
  }

  /** A mapping source: a name from the record, or {@code 'literal'} for a constant. */
  private static Object value(String source, Map<String, Object> src) {
    if (source.length() >= 2 && source.startsWith("'") && source.endsWith("'")) {
      return source.substring(1, source.length() - 1);
    }
    if (!src.containsKey(source) && !KNOWN.contains(source)) {
      throw new IllegalArgumentException("unknown mapping source '" + source + "'");
    }
    return src.get(source);
  }

  private static final List<String> KNOWN =
      List.of(
          "sid",
          "direction",
          "channel",
          "status",
          "errorCode",
          "from",
          "to",
          "body",
          "segments",
          "sentAt",
          "deliveredAt",
          "createdAt",
          "accountSid",
          "answeredBy",
          "duration",
          "detail",
          "phone",
          "subject");

  private static void put(ObjectNode r, String field, Object v) {
    if (v == null) {
      r.putNull(field);
    } else if (v instanceof Integer i) {
      r.put(field, i);
    } else {
      r.put(field, v.toString());
    }
  }

  private static String iso(Timestamp t) {
    return t == null ? null : t.toInstant().toString();
  }

  private static String truncate(String s) {
    return s == null || s.length() <= 1000 ? s : s.substring(0, 1000);
  }
}
