package org.twiliocrm.governance;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.salesforce.SalesforceComponent;
import org.apache.camel.component.salesforce.SalesforceConstants;
import org.apache.camel.component.salesforce.SalesforceEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.Redaction;
import org.twiliocrm.db.Transactions;

/**
 * Consent made in the CRM (issue 14 point 2): a Change Data Capture event of an object named in
 * {@code crm-consent:} of governance/recipients.yaml becomes a consent event in the ledger, the
 * same ledger STOP/START and POST /api/consent write, so the outbox's consent check sees it on the
 * next claim. Route step of routes/crm-consent-sync.camel.yaml ({@code crmConsentSync.onChange}).
 *
 * <ul>
 *   <li>Which change counts: an UPDATE that changes the consent field (to the opt-out value: opted
 *       out; to anything else, or to the opt-in value when one is set: opted in), and a CREATE
 *       whose field already holds the opt-out value. A new record's default (not opted out) is not
 *       an opt-in: it would undo a STOP for that number.
 *   <li>The number: the event carries only changed fields, so the phone fields are read from the
 *       record (SOQL) unless the event has them all. Every non-empty phone field gives one event; a
 *       value libphonenumber cannot read, or a record with none, is recorded REJECTED with the
 *       reason and processing goes on.
 *   <li>Source {@code crm}, evidence the object, record id, field value, the user who committed the
 *       change and the change's transaction key; time: the change's commitTimestamp. Conflicts with
 *       keywords and the API resolve by that time in {@link ConsentLedger}; both events stay.
 *   <li>No echo: a change committed by the connector's own Salesforce user is its write-back of a
 *       STOP/START (already in the ledger with the message as evidence) and is skipped before any
 *       look-up. A change by anyone else that repeats the status in force is kept in the history
 *       and changes nothing ({@link ConsentLedger#recordUnlessUnchanged}). A replayed event meets
 *       its own evidence and is not recorded twice.
 *   <li>Resume: the events and the channel's replay id are written in ONE transaction, under the
 *       same key the CRM events leader pins before it (re)subscribes, so nothing is missed or
 *       doubled across restarts and leader changes.
 * </ul>
 */
public final class CrmConsentSync {
  private static final Logger LOG = LoggerFactory.getLogger(CrmConsentSync.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SF_ID = Pattern.compile("[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?");

  /**
   * The resume point's key in connector_state: the same prefix as the CRM event subscriptions,
   * whose leader pins every leader-only route's channel from it.
   */
  static final String REPLAY_STATE_PREFIX = "crm.events.replay-id:";

  /** Reads records' fields (SOQL); object, fields and ids are checked API names and ids. */
  @FunctionalInterface
  public interface RecordReader {
    Map<String, Map<String, Object>> read(String object, List<String> fields, List<String> ids)
        throws Exception;
  }

  /** What one change event came to. */
  public record Result(int applied, int unchanged, int rejected, int skipped) {}

  private final DataSource dataSource;
  private final RecipientPolicies policies;
  private final PhoneRules phones;
  private volatile ProducerTemplate producer;

  public CrmConsentSync(DataSource dataSource, RecipientPolicies policies, PhoneRules phones) {
    this.dataSource = dataSource;
    this.policies = policies;
    this.phones = phones;
  }

  /** The route's step: body = the raw change event (rawPayload=true). */
  public Result onChange(Exchange exchange) throws Exception {
    String raw = exchange.getMessage().getBody(String.class);
    String channel = channel(exchange);
    Long replayId = replayId(exchange);
    String ownUser = ownUserId(exchange);
    List<ConsentLedger.Event> events =
        events(JSON.readTree(raw), ownUser, (o, f, ids) -> query(exchange, o, f, ids));
    return commit(events, channel, replayId);
  }

  /**
   * The consent events one change event stands for (empty: not a consent change, or the connector's
   * own write-back). Public for tests.
   */
  public List<ConsentLedger.Event> events(JsonNode message, String ownUserId, RecordReader reader)
      throws Exception {
    JsonNode payload = message;
    if (payload.has("data")) {
      payload = payload.path("data");
    }
    if (payload.has("payload")) {
      payload = payload.path("payload");
    }
    JsonNode header = payload.path("ChangeEventHeader");
    String entity = header.path("entityName").asText("");
    String changeType = header.path("changeType").asText("");
    String commitUser = header.path("commitUser").asText(null);
    if (!changeType.equals("UPDATE") && !changeType.equals("CREATE")) {
      return List.of();
    }
    List<ConsentLedger.Event> out = new ArrayList<>();
    for (RecipientPolicy.CrmConsent rule : policies.current().crm()) {
      if (!rule.object().equals(entity)) {
        continue;
      }
      boolean changed = false;
      for (JsonNode f : header.path("changedFields")) {
        changed |= f.asText().equals(rule.field());
      }
      for (JsonNode f : header.path("nulledFields")) {
        changed |= f.asText().equals(rule.field());
      }
      if (changeType.equals("UPDATE") && !changed) {
        continue;
      }
      JsonNode value = payload.path(rule.field());
      String text = value.isMissingNode() || value.isNull() ? null : value.asText();
      boolean optOut = text != null && text.equalsIgnoreCase(rule.optOutWhen());
      if (changeType.equals("CREATE") && !optOut) {
        continue; // a new record's default is no decision (see the class comment)
      }
      if (!optOut && rule.optInWhen() != null && !rule.optInWhen().equalsIgnoreCase(text)) {
        continue; // a value that is neither: no consent meaning
      }
      if (ownUserId != null && ownUserId.equals(commitUser)) {
        LOG.debug("CRM consent: {} change by the connector's own user skipped (echo)", entity);
        return List.of();
      }
      out.addAll(eventsFor(rule, header, payload, optOut, text, commitUser, reader));
    }
    return out;
  }

  private List<ConsentLedger.Event> eventsFor(
      RecipientPolicy.CrmConsent rule,
      JsonNode header,
      JsonNode payload,
      boolean optOut,
      String value,
      String commitUser,
      RecordReader reader)
      throws Exception {
    List<String> ids = new ArrayList<>();
    header.path("recordIds").forEach(n -> ids.add(n.asText()));
    ids.removeIf(id -> !SF_ID.matcher(id).matches());
    Instant at =
        header.path("commitTimestamp").canConvertToLong()
            ? Instant.ofEpochMilli(header.path("commitTimestamp").asLong())
            : Instant.now();
    String change =
        header.path("transactionKey").asText("?") + "/" + header.path("sequenceNumber").asText("0");
    Map<String, Map<String, Object>> records = new LinkedHashMap<>();
    boolean inEvent = ids.size() == 1 && rule.phoneFields().stream().allMatch(payload::has);
    if (inEvent) {
      Map<String, Object> fields = new LinkedHashMap<>();
      for (String f : rule.phoneFields()) {
        fields.put(f, payload.path(f).isNull() ? null : payload.path(f).asText());
      }
      records.put(ids.get(0), fields);
    } else if (!ids.isEmpty()) {
      records.putAll(reader.read(rule.object(), rule.phoneFields(), ids));
    }
    String status = optOut ? ConsentLedger.OPTED_OUT : ConsentLedger.OPTED_IN;
    List<ConsentLedger.Event> out = new ArrayList<>();
    for (String id : ids) {
      String evidence =
          rule.object()
              + " "
              + id
              + " "
              + rule.field()
              + "="
              + value
              + " by Salesforce user "
              + (commitUser == null ? "?" : commitUser)
              + ", change "
              + change;
      Map<String, Object> rec = records.get(id);
      Set<String> numbers = new LinkedHashSet<>();
      List<String> bad = new ArrayList<>();
      if (rec != null) {
        for (String f : rule.phoneFields()) {
          Object v = rec.get(f);
          if (v == null || v.toString().isBlank()) {
            continue;
          }
          Optional<String> e164 = phones.toE164(v.toString());
          if (e164.isPresent()) {
            numbers.add(e164.get());
          } else {
            bad.add(f + "=" + v);
            out.add(
                new ConsentLedger.Event(
                    v.toString().trim(),
                    rule.purpose(),
                    ConsentLedger.REJECTED,
                    ConsentLedger.SOURCE_CRM,
                    evidence,
                    at,
                    f
                        + " '"
                        + v
                        + "' is not a valid phone number (read in region "
                        + phones.defaultRegion()
                        + ")"));
          }
        }
      }
      if (numbers.isEmpty() && bad.isEmpty()) {
        out.add(
            new ConsentLedger.Event(
                "(none)",
                rule.purpose(),
                ConsentLedger.REJECTED,
                ConsentLedger.SOURCE_CRM,
                evidence,
                at,
                rec == null
                    ? "record not found (deleted, or not visible to the connector's user)"
                    : "no phone number in " + String.join(", ", rule.phoneFields())));
      }
      for (String n : numbers) {
        out.add(
            new ConsentLedger.Event(
                n, rule.purpose(), status, ConsentLedger.SOURCE_CRM, evidence, at, null));
      }
    }
    return out;
  }

  /** Writes the events and the channel's replay id in one transaction. */
  Result commit(List<ConsentLedger.Event> events, String channel, Long replayId)
      throws SQLException {
    return Transactions.inTransaction(
        dataSource,
        c -> {
          int applied = 0;
          int unchanged = 0;
          int rejected = 0;
          int skipped = 0;
          for (ConsentLedger.Event e : events) {
            if (ConsentLedger.seen(c, e.recipient(), e.source(), e.evidence())) {
              skipped++; // a replayed event
            } else if (ConsentLedger.REJECTED.equals(e.status())) {
              ConsentLedger.record(c, e);
              rejected++;
              // The value itself stays out of the log (it may be most of a phone number).
              LOG.warn(
                  "CRM consent event rejected ({}): {}",
                  e.evidence(),
                  e.reason().replaceAll("'.*'", "'...'"));
            } else if (ConsentLedger.recordUnlessUnchanged(c, e)) {
              applied++;
              LOG.info(
                  "{} {} of {} in the CRM ({})",
                  Redaction.phone(e.recipient()),
                  e.status().equals(ConsentLedger.OPTED_OUT) ? "opted out" : "opted in",
                  e.purpose().equals(RecipientPolicy.ALL_PURPOSES) ? "all purposes" : e.purpose(),
                  e.evidence());
            } else {
              unchanged++;
            }
          }
          if (channel != null && replayId != null) {
            storeReplayId(c, channel, replayId);
          }
          return new Result(applied, unchanged, rejected, skipped);
        });
  }

  private static void storeReplayId(Connection c, String channel, long replayId)
      throws SQLException {
    String name = REPLAY_STATE_PREFIX + channel;
    try (PreparedStatement up =
        c.prepareStatement(
            "UPDATE connector_state SET state_value = ?, updated_at = CURRENT_TIMESTAMP"
                + " WHERE name = ?")) {
      up.setString(1, Long.toString(replayId));
      up.setString(2, name);
      if (up.executeUpdate() > 0) {
        return;
      }
    }
    // One writer per channel (the leader's single subscription thread): no insert race.
    try (PreparedStatement in =
        c.prepareStatement(
            "INSERT INTO connector_state (name, state_value, updated_at)"
                + " VALUES (?, ?, CURRENT_TIMESTAMP)")) {
      in.setString(1, name);
      in.setString(2, Long.toString(replayId));
      in.executeUpdate();
    }
  }

  // ---- Salesforce: who the connector is, and the records' phone fields ----

  private static String channel(Exchange exchange) {
    if (exchange.getFromEndpoint() instanceof SalesforceEndpoint se && se.getTopicName() != null) {
      String t = se.getTopicName();
      return t.startsWith("/") ? t : "/" + t;
    }
    Object ch = exchange.getMessage().getHeader(SalesforceConstants.HEADER_SALESFORCE_CHANNEL);
    return ch == null ? null : ch.toString();
  }

  private static Long replayId(Exchange exchange) {
    Object v = exchange.getMessage().getHeader(SalesforceConstants.HEADER_SALESFORCE_REPLAY_ID);
    if (v instanceof Number n) {
      return n.longValue();
    }
    try {
      return v == null ? null : Long.parseLong(v.toString());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The user the connector logs in as: the last part of the OAuth identity URL (.../id/org/user).
   */
  private static String ownUserId(Exchange exchange) {
    try {
      SalesforceComponent sf =
          exchange.getContext().getComponent("salesforce", SalesforceComponent.class);
      String id = sf == null || sf.getSession() == null ? null : sf.getSession().getId();
      if (id == null) {
        return null;
      }
      String user = id.substring(id.lastIndexOf('/') + 1);
      return SF_ID.matcher(user).matches() ? user : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  private Map<String, Map<String, Object>> query(
      Exchange exchange, String object, List<String> fields, List<String> ids) throws Exception {
    if (producer == null) {
      producer = exchange.getContext().createProducerTemplate();
    }
    String soql =
        "SELECT Id, "
            + String.join(", ", fields)
            + " FROM "
            + object
            + " WHERE Id IN ("
            + String.join(",", ids.stream().map(id -> "'" + id + "'").toList())
            + ")";
    Object reply =
        producer.requestBodyAndHeader(
            "salesforce:query?rawPayload=true", null, "sObjectQuery", soql);
    Map<String, Object> result =
        JSON.readValue(
            exchange.getContext().getTypeConverter().mandatoryConvertTo(String.class, reply),
            new TypeReference<>() {});
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    Object records = result.get("records");
    if (records instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Map<?, ?> m && m.get("Id") != null) {
          Map<String, Object> fieldsOf = new LinkedHashMap<>();
          m.forEach((k, v) -> fieldsOf.put(String.valueOf(k), v));
          String id = String.valueOf(m.get("Id"));
          out.put(id, fieldsOf);
          // Change events name records by 18-character ids; SOQL may answer either form.
          if (id.length() == 18) {
            out.put(id.substring(0, 15), fieldsOf);
          }
        }
      }
    }
    // Ids as the event gave them: a 15-character id in the event finds its 18-character record.
    Map<String, Map<String, Object>> byEventId = new LinkedHashMap<>();
    for (String id : ids) {
      Map<String, Object> r = out.get(id);
      if (r == null && id.length() == 18) {
        r = out.get(id.substring(0, 15));
      }
      if (r != null) {
        byEventId.put(id, r);
      }
    }
    return byEventId;
  }
}
