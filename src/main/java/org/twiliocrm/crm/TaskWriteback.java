package org.twiliocrm.crm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.Redaction;
import org.twiliocrm.webhook.CrmAction;
import org.twiliocrm.webhook.CrmActionQueue;

/**
 * Tasks for inbound replies and finished calls, created on the related record (kamelet
 * salesforce-writeback-actions-sink). An action with no CRM record, even after the look-up by
 * phone, is finished with a note instead of sent.
 *
 * <p>No Task twice: a create whose result was never recorded (the process was killed after
 * Salesforce created the Task, or the answer was lost on the way) leaves its action to be claimed
 * again. Activities cannot have External ID fields, so there is no upsert to make the retry
 * harmless; instead the actions of a batch that were claimed before are looked up first, with one
 * SOQL query on the field the mapping fills from {@code sid} (the package's {@code Twilio_Sid__c}),
 * and the ones found are finished without a second create. First attempts, the usual case, cost no
 * query. A mapping with no {@code sid} field cannot be looked up: then Task creation is
 * at-least-once across a crash, and the kamelet says so when it is built.
 */
public final class TaskWriteback extends WritebackSink {
  private static final Logger LOG = LoggerFactory.getLogger(TaskWriteback.class);

  private String sObjectName = "Task";
  private FieldMapping fields = FieldMapping.parse("taskFields", "", FieldMapping.TASK_SOURCES);
  private FieldMapping links = FieldMapping.parse("taskLinks", "", null);
  private String sidField;
  private final LazyProducerTemplate template = new LazyProducerTemplate();

  public void setSObjectName(String sObjectName) {
    this.sObjectName = sObjectName;
  }

  /** SalesforceField=source, ...; checked here, when the kamelet is built. */
  public void setFields(String spec) {
    this.fields = FieldMapping.parse("taskFields", spec, FieldMapping.TASK_SOURCES);
    this.sidField = sidField(fields);
    if (sidField == null) {
      LOG.warn(
          "taskFields maps no field to sid: a Task whose creation was interrupted (process killed"
              + " after Salesforce created it) cannot be looked up and may be created twice; map"
              + " the package's Twilio_Sid__c=sid");
    }
  }

  /** The Task field that carries the Twilio SID, or null when the mapping has none. */
  static String sidField(FieldMapping mapping) {
    return mapping.fields().entrySet().stream()
        .filter(e -> "sid".equals(e.getValue()))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElse(null);
  }

  /** RelatedObject=LookupField, ...: which Task field points at the Contact, Lead or Case. */
  public void setLinks(String spec) {
    this.links = FieldMapping.parse("taskLinks", spec, null);
  }

  @Override
  Batch take(Exchange exchange) throws Exception {
    CrmWriteback wb = writeback();
    List<CrmAction> pending = wb.pendingActions(exchange.getContext(), List.of(CrmAction.TASK));
    Map<String, String> existing;
    try {
      existing = existingTasks(exchange.getContext(), pending);
    } catch (RuntimeException e) {
      // Not known whether they exist: give the claim back, the next try looks again.
      wb.actions().release(pending.stream().map(CrmAction::id).toList(), wb.owner());
      throw e;
    }
    List<Long> ids = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    List<Long> already = new ArrayList<>();
    ArrayNode records = JSON.createArrayNode();
    for (CrmAction a : pending) {
      if (a.crmRecordId() == null || !links.has(a.crmObject())) {
        wb.actions().finish(a.id(), "no CRM record for " + Redaction.phone(a.phone()));
        continue;
      }
      String found = a.sid() == null ? null : existing.get(a.sid());
      if (found != null) {
        LOG.info(
            "{} {} for {} was created by an earlier attempt whose result was not recorded;"
                + " not created again",
            sObjectName,
            found,
            a.sid());
        already.add(a.id());
        continue;
      }
      Map<String, Object> src = new LinkedHashMap<>();
      src.put("detail", a.detail());
      src.put("sid", a.sid());
      src.put("phone", a.phone());
      src.put("subject", a.sid() != null && a.sid().startsWith("CA") ? "Call" : "SMS reply");
      ObjectNode r = records.addObject();
      r.putObject("attributes").put("type", sObjectName);
      fields.apply(r, src);
      r.put(links.get(a.crmObject()), a.crmRecordId());
      ids.add(a.id());
      keys.add(a.sid());
    }
    if (!already.isEmpty()) {
      wb.actions().record(already, List.of(), Instant.now());
    }
    return ids.isEmpty() ? null : new Batch(records, ids, keys, pending.size() == wb.batchSize());
  }

  /**
   * The Tasks already in Salesforce for the batch's retried actions, by SID: one SOQL query for all
   * of them, none when no action was claimed before (or the mapping has no SID field). A failed
   * query throws, so nothing is created while it is unknown what exists.
   */
  private Map<String, String> existingTasks(CamelContext context, List<CrmAction> pending) {
    if (sidField == null) {
      return Map.of();
    }
    List<String> sids =
        pending.stream()
            .filter(a -> a.retried() && a.sid() != null && a.crmRecordId() != null)
            .map(CrmAction::sid)
            .distinct()
            .toList();
    if (sids.isEmpty()) {
      return Map.of();
    }
    StringBuilder in = new StringBuilder();
    for (String sid : sids) {
      in.append(in.length() == 0 ? "" : ", ")
          .append('\'')
          .append(sid.replace("\\", "\\\\").replace("'", "\\'"))
          .append('\'');
    }
    // At most one batch of SIDs (200): far below SOQL's 100,000 characters and one page of rows.
    String soql =
        "SELECT Id, "
            + sidField
            + " FROM "
            + sObjectName
            + " WHERE "
            + sidField
            + " IN ("
            + in
            + ")";
    // The query goes in a header: '+' in an endpoint URI would become a space.
    String reply =
        template
            .get(context)
            .requestBodyAndHeader(
                "salesforce:query?rawPayload=true", null, "sObjectQuery", soql, String.class);
    Map<String, String> out = new HashMap<>();
    try {
      for (JsonNode r : JSON.readTree(reply).path("records")) {
        String sid = value(r, sidField);
        if (sid != null) {
          out.putIfAbsent(sid, r.path("Id").asText());
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("unreadable SOQL reply for " + sObjectName, e);
    }
    return out;
  }

  /** A field of a query row, matched without case as Salesforce matches field names. */
  private static String value(JsonNode row, String field) {
    for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().toLowerCase(Locale.ROOT).equals(field.toLowerCase(Locale.ROOT))) {
        return e.getValue().isTextual() ? e.getValue().asText() : null;
      }
    }
    return null;
  }

  @Override
  void release(Batch batch) throws Exception {
    writeback().actions().release(batch.ids, writeback().owner());
  }

  @Override
  void settle(Batch batch, JsonNode results) throws Exception {
    settleActions(writeback(), batch, results);
  }

  /** Finishes the actions Salesforce took; the others wait out the longest backoff. */
  static void settleActions(CrmWriteback wb, Batch batch, JsonNode results) throws Exception {
    List<Long> done = new ArrayList<>();
    List<CrmActionQueue.Failed> failed = new ArrayList<>();
    for (int i = 0; i < batch.ids.size(); i++) {
      JsonNode r = results.get(i);
      if (ok(r)) {
        done.add(batch.ids.get(i));
      } else {
        failed.add(new CrmActionQueue.Failed(batch.ids.get(i), reason(r)));
      }
    }
    wb.actions().record(done, failed, wb.guard().retryRejectedAt());
  }
}
