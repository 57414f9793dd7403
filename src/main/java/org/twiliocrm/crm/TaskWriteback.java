package org.twiliocrm.crm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.twiliocrm.config.Redaction;
import org.twiliocrm.webhook.CrmAction;
import org.twiliocrm.webhook.CrmActionQueue;

/**
 * Tasks for inbound replies and finished calls, created on the related record (kamelet
 * salesforce-writeback-actions-sink). An action with no CRM record, even after the look-up by
 * phone, is finished with a note instead of sent.
 */
public final class TaskWriteback extends WritebackSink {
  private String sObjectName = "Task";
  private FieldMapping fields = FieldMapping.parse("taskFields", "", FieldMapping.TASK_SOURCES);
  private FieldMapping links = FieldMapping.parse("taskLinks", "", null);

  public void setSObjectName(String sObjectName) {
    this.sObjectName = sObjectName;
  }

  /** SalesforceField=source, ...; checked here, when the kamelet is built. */
  public void setFields(String spec) {
    this.fields = FieldMapping.parse("taskFields", spec, FieldMapping.TASK_SOURCES);
  }

  /** RelatedObject=LookupField, ...: which Task field points at the Contact, Lead or Case. */
  public void setLinks(String spec) {
    this.links = FieldMapping.parse("taskLinks", spec, null);
  }

  @Override
  Batch take(Exchange exchange) throws Exception {
    CrmWriteback wb = writeback();
    List<CrmAction> pending = wb.pendingActions(exchange.getContext(), List.of(CrmAction.TASK));
    List<Long> ids = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    ArrayNode records = JSON.createArrayNode();
    for (CrmAction a : pending) {
      if (a.crmRecordId() == null || !links.has(a.crmObject())) {
        wb.actions().finish(a.id(), "no CRM record for " + Redaction.phone(a.phone()));
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
    return ids.isEmpty() ? null : new Batch(records, ids, keys, pending.size() == wb.batchSize());
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
