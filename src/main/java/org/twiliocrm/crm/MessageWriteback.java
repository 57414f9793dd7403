package org.twiliocrm.crm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.webhook.MessageStateStore;

/**
 * Message records into one sObject, upserted by the MessageSid in an external id field (kamelet
 * salesforce-writeback-messages-sink). Each record sent is the message's current state, which only
 * moves forward, and one route thread sends batches one after the other; a retried batch sends the
 * then-current state, so the CRM record never goes back, even after the org was down for a while. A
 * record Salesforce rejects on its own (validation) is retried on its own backoff, so it cannot
 * block the others.
 */
public final class MessageWriteback extends WritebackSink {
  private static final Logger LOG = LoggerFactory.getLogger(MessageWriteback.class);

  private String sObjectName;
  private String externalIdField;
  private FieldMapping fields = FieldMapping.parse("fields", "", FieldMapping.MESSAGE_SOURCES);
  private FieldMapping links = FieldMapping.parse("links", "", null);
  private long maxDelayMillis;

  public void setSObjectName(String sObjectName) {
    this.sObjectName = sObjectName;
  }

  public void setExternalIdField(String externalIdField) {
    this.externalIdField = externalIdField;
  }

  /** SalesforceField=source, ...; checked here, when the kamelet is built. */
  public void setFields(String spec) {
    this.fields = FieldMapping.parse("fields", spec, FieldMapping.MESSAGE_SOURCES);
  }

  /** RelatedObject=LookupField, ...: where the linked Contact, Lead or Case goes. */
  public void setLinks(String spec) {
    this.links = FieldMapping.parse("links", spec, null);
  }

  public void setMaxDelayMillis(long maxDelayMillis) {
    this.maxDelayMillis = maxDelayMillis;
  }

  @Override
  Batch take(Exchange exchange) throws Exception {
    CrmWriteback wb = writeback();
    wb.countBacklog();
    int size = wb.batchSize();
    List<String> keys = new ArrayList<>();
    List<Long> versions = new ArrayList<>();
    ArrayNode records = JSON.createArrayNode();
    // A look first, without a claim: most ticks send nothing (coalescing below), and a claim
    // costs a write.
    List<Instant> due = wb.states().dueTimes(size);
    if (due.isEmpty() || (due.size() < size && young(due))) {
      return null;
    }
    // Then the claim under this replica's lease: another replica skips these rows until they are
    // recorded, so no record is sent by two replicas (the claim may get fewer rows than the look
    // saw, when another replica took some meanwhile).
    for (MessageStateStore.Dirty d : wb.states().claimDirty(wb.owner(), size, wb.lease())) {
      ObjectNode r = records.addObject();
      r.putObject("attributes").put("type", sObjectName);
      r.put(externalIdField, d.sid());
      fields.apply(r, sources(d));
      if (d.crmObject() != null && d.crmRecordId() != null && links.has(d.crmObject())) {
        r.put(links.get(d.crmObject()), d.crmRecordId());
      }
      keys.add(d.sid());
      versions.add(d.crmVersion());
    }
    if (keys.isEmpty()) {
      return null;
    }
    return new Batch(records, versions, keys, keys.size() == size);
  }

  /**
   * Coalescing: a full batch goes at once; a partial one waits until the record due longest has
   * been due maxDelayMillis (MessageStateStore#dueSince), so a message's quick succession of
   * statuses costs one write. The younger records ride along in the same call for free.
   */
  private boolean young(List<Instant> due) {
    Instant oldest = null;
    for (Instant since : due) {
      if (oldest == null || since.isBefore(oldest)) {
        oldest = since;
      }
    }
    return oldest != null && oldest.isAfter(Instant.now().minusMillis(maxDelayMillis));
  }

  @Override
  void release(Batch batch) throws Exception {
    writeback().states().release(batch.keys, writeback().owner());
  }

  @Override
  List<String> suspectKeys(Batch batch) {
    return batch.keys;
  }

  @Override
  void settle(Batch batch, JsonNode results) throws Exception {
    WritebackGuard guard = writeback().guard();
    List<MessageStateStore.SyncResult> out = new ArrayList<>(batch.keys.size());
    for (int i = 0; i < batch.keys.size(); i++) {
      String sid = batch.keys.get(i);
      JsonNode r = results.get(i);
      Instant rewriteAt = guard.rewriteAt(sid);
      if (ok(r) && rewriteAt != null) {
        out.add(new MessageStateStore.Retry(sid, rewriteAt, "re-sent after an ambiguous failure"));
      } else if (ok(r)) {
        out.add(new MessageStateStore.Synced(sid, batch.ids.get(i)));
      } else {
        out.add(new MessageStateStore.Retry(sid, guard.retryRejectedAt(), reason(r)));
        LOG.warn("Salesforce rejected message {}: {}", sid, r);
      }
    }
    writeback().states().recordSync(out, writeback().owner());
  }

  /** The mapping's sources for one message (FieldMapping.MESSAGE_SOURCES). */
  private static Map<String, Object> sources(MessageStateStore.Dirty d) {
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
    // Channel fallback: the chain on the record (empty outside any chain).
    src.put("fallbackParentSid", d.fallback().parentSid());
    src.put("fallbackStep", d.fallback().chain() == null ? null : d.fallback().step());
    src.put("fallbackReason", d.fallback().reason());
    src.put("fallbackChain", d.fallback().chain());
    return src;
  }

  private static String iso(Timestamp t) {
    return t == null ? null : t.toInstant().toString();
  }
}
