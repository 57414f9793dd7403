package org.twiliocrm.crm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.Redaction;
import org.twiliocrm.webhook.CrmAction;
import org.twiliocrm.webhook.CrmActionQueue;
import org.twiliocrm.webhook.MessageStateStore;

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

  private final MessageStateStore states;
  private final CrmActionQueue actions;
  private final WritebackMetrics metrics = new WritebackMetrics();
  private final CrmLookup lookup;
  private final int batchSize;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private volatile Instant pausedUntil = Instant.EPOCH;
  private int consecutiveFailures;

  /**
   * Records whose call failed in an unknown way (a timeout: the request may still land later). A
   * success that comes soon after such a failure is not trusted: the record is written once more
   * after {@link #SUSPECT_GUARD}, so a stale request that lands late cannot leave an older state.
   */
  private final Map<String, Instant> suspects = new java.util.concurrent.ConcurrentHashMap<>();

  static final Duration SUSPECT_GUARD = Duration.ofSeconds(10);
  private volatile long backlogCountedAt;

  public CrmWriteback(
      MessageStateStore states,
      CrmActionQueue actions,
      CrmLookup lookup,
      int batchSize,
      Duration initialBackoff,
      Duration maxBackoff) {
    this.states = states;
    this.actions = actions;
    this.lookup = lookup;
    this.batchSize = batchSize;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
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
    for (MessageStateStore.Dirty d : states.dirty(batchSize)) {
      Map<String, Object> src = new LinkedHashMap<>();
      src.put("sid", d.sid());
      src.put(
          "direction",
          "inbound".equals(d.direction())
              ? "inbound"
              : "call".equals(d.direction()) ? "outbound-call" : "outbound-api");
      src.put("channel", d.channel());
      src.put("status", d.status());
      src.put("errorCode", d.errorCode() == null ? null : String.valueOf(d.errorCode()));
      src.put("from", d.from());
      src.put("to", d.to());
      src.put("body", d.body());
      src.put("segments", d.segments());
      src.put("sentAt", iso(d.sentAt()));
      src.put("deliveredAt", iso(d.deliveredAt()));
      src.put("createdAt", iso(d.createdAt()));
      src.put("accountSid", d.accountSid());
      src.put("answeredBy", d.answeredBy());
      src.put("duration", d.durationSeconds());
      ObjectNode r = records.addObject();
      r.putObject("attributes").put("type", object);
      r.put(externalId, d.sid());
      for (Map.Entry<String, String> f : fields.entrySet()) {
        put(r, f.getKey(), value(f.getValue(), src));
      }
      if (d.crmObject() != null && d.crmRecordId() != null && links.containsKey(d.crmObject())) {
        r.put(links.get(d.crmObject()), d.crmRecordId());
      }
      sent.add(new Sent(d.sid(), d.crmVersion(), 0));
      Timestamp dirty = d.dirtySince();
      if (dirty != null && (oldest == null || dirty.before(oldest))) {
        oldest = dirty;
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
    List<MessageStateStore.SyncResult> out = new ArrayList<>(sent.size());
    for (int i = 0; i < sent.size(); i++) {
      Sent s = sent.get(i);
      JsonNode r = results != null && results.isArray() ? results.get(i) : null;
      Instant failedAt = suspects.remove(s.key());
      if (r != null
          && r.path("success").asBoolean(false)
          && failedAt != null
          && Instant.now().isBefore(failedAt.plus(SUSPECT_GUARD))) {
        out.add(
            new MessageStateStore.Retry(
                s.key(), failedAt.plus(SUSPECT_GUARD), "re-sent after an ambiguous failure"));
      } else if (r != null && r.path("success").asBoolean(false)) {
        out.add(new MessageStateStore.Synced(s.key(), s.version()));
      } else {
        out.add(
            new MessageStateStore.Retry(
                s.key(),
                Instant.now().plus(maxBackoff),
                truncate(r == null ? "no result" : r.path("errors").toString())));
        LOG.warn("Salesforce rejected message {}: {}", s.key(), r);
      }
    }
    states.recordSync(out);
    metrics.call(true);
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
    metrics.call(false);
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
    List<CrmAction> pending = pendingActions(exchange, List.of(CrmAction.TASK));
    List<Sent> sent = new ArrayList<>();
    ArrayNode records = JSON.createArrayNode();
    for (CrmAction a : pending) {
      if (a.crmRecordId() == null || !links.containsKey(a.crmObject())) {
        actions.finish(a.id(), "no CRM record for " + Redaction.phone(a.phone()));
        continue;
      }
      Map<String, Object> src = new LinkedHashMap<>();
      src.put("detail", a.detail());
      src.put("sid", a.sid());
      src.put("phone", a.phone());
      src.put("subject", a.sid() != null && a.sid().startsWith("CA") ? "Call" : "SMS reply");
      ObjectNode r = records.addObject();
      r.putObject("attributes").put("type", object);
      for (Map.Entry<String, String> f : fields.entrySet()) {
        put(r, f.getKey(), value(f.getValue(), src));
      }
      r.put(links.get(a.crmObject()), a.crmRecordId());
      sent.add(new Sent(a.sid(), 0, a.id()));
    }
    if (sent.isEmpty()) {
      return null;
    }
    exchange.setProperty(BATCH, sent);
    exchange.setProperty(MORE, pending.size() == batchSize);
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
    List<CrmAction> pending =
        pendingActions(exchange, List.of(CrmAction.OPT_OUT, CrmAction.OPT_IN));
    // One record may appear once per collection: the latest action per record wins, the earlier
    // ones are finished as superseded.
    Map<String, CrmAction> latest = new LinkedHashMap<>();
    for (CrmAction a : pending) {
      if (a.crmRecordId() == null || !objects.contains(a.crmObject())) {
        actions.finish(a.id(), "no Contact/Lead for " + Redaction.phone(a.phone()));
        continue;
      }
      CrmAction before = latest.remove(a.crmRecordId());
      if (before != null) {
        actions.finish(before.id(), "superseded by action " + a.id());
      }
      latest.put(a.crmRecordId(), a);
    }
    if (latest.isEmpty()) {
      return null;
    }
    List<Sent> sent = new ArrayList<>();
    ArrayNode records = JSON.createArrayNode();
    for (CrmAction a : latest.values()) {
      ObjectNode r = records.addObject();
      r.putObject("attributes").put("type", a.crmObject());
      r.put("Id", a.crmRecordId());
      r.put(field, "OPT_OUT".equals(a.kind()));
      sent.add(new Sent(a.sid(), 0, a.id()));
    }
    exchange.setProperty(BATCH, sent);
    exchange.setProperty(MORE, pending.size() == batchSize);
    return collection(records);
  }

  /** Route step after a successful action call. */
  public void actionsSent(Exchange exchange) throws Exception {
    @SuppressWarnings("unchecked")
    List<Sent> sent = exchange.getProperty(BATCH, List.class);
    JsonNode results = JSON.readTree(exchange.getMessage().getBody(String.class));
    succeeded();
    List<Long> done = new ArrayList<>();
    List<CrmActionQueue.Failed> failed = new ArrayList<>();
    for (int i = 0; i < sent.size(); i++) {
      JsonNode r = results != null && results.isArray() ? results.get(i) : null;
      if (r != null && r.path("success").asBoolean(false)) {
        done.add(sent.get(i).actionId());
      } else {
        failed.add(
            new CrmActionQueue.Failed(
                sent.get(i).actionId(),
                truncate(r == null ? "no result" : r.path("errors").toString())));
      }
    }
    actions.record(done, failed, Instant.now().plus(maxBackoff));
    metrics.call(true);
    exchange.setProperty(BATCH, null);
  }

  private List<CrmAction> pendingActions(Exchange exchange, List<String> kinds)
      throws SQLException {
    List<CrmAction> out = actions.pending(kinds, batchSize);
    // Replies nobody can be linked to locally: find the Contact or Lead by phone (SOQL), and
    // link the inbound message record too.
    List<CrmAction> resolved = new ArrayList<>(out.size());
    for (CrmAction a : out) {
      if (a.crmRecordId() == null && a.phone() != null) {
        CrmLookup.Found f = lookup.byPhone(exchange.getContext(), a.phone());
        if (f != null) {
          actions.link(a.id(), f.object(), f.id());
          if (a.sid() != null) {
            states.link(a.sid(), f.object(), f.id());
          }
          a = a.linkedTo(f.object(), f.id());
        }
      }
      resolved.add(a);
    }
    return resolved;
  }

  // ---------------------------------------------------------------- helpers

  /** Records not yet in Salesforce (messages and actions); also the backlog gauge's value. */
  public long backlog() throws SQLException {
    long n = states.behind() + actions.pendingCount();
    metrics.backlog(n);
    backlogCountedAt = System.currentTimeMillis();
    return n;
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
