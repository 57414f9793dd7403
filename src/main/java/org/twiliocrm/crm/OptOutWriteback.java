package org.twiliocrm.crm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.twiliocrm.config.Redaction;
import org.twiliocrm.webhook.CrmAction;

/**
 * STOP sets and START clears a checkbox on the Contact or Lead, updated by record Id (kamelet
 * salesforce-writeback-actions-sink).
 */
public final class OptOutWriteback extends WritebackSink {
  private String field;
  private List<String> objects = List.of("Contact", "Lead");

  /** The checkbox field STOP sets and START clears, e.g. SMS_Opt_Out__c. */
  public void setField(String field) {
    this.field = field;
  }

  /** Comma-separated objects that carry the field. */
  public void setObjects(String objects) {
    this.objects = Arrays.stream(objects.split(",")).map(String::trim).toList();
  }

  @Override
  Batch take(Exchange exchange) throws Exception {
    CrmWriteback wb = writeback();
    List<CrmAction> pending =
        wb.pendingActions(exchange.getContext(), List.of(CrmAction.OPT_OUT, CrmAction.OPT_IN));
    // One record may appear once per collection: the latest action per record wins, the earlier
    // ones are finished as superseded.
    Map<String, CrmAction> latest = new LinkedHashMap<>();
    for (CrmAction a : pending) {
      if (a.crmRecordId() == null || !objects.contains(a.crmObject())) {
        wb.actions().finish(a.id(), "no Contact/Lead for " + Redaction.phone(a.phone()));
        continue;
      }
      CrmAction before = latest.remove(a.crmRecordId());
      if (before != null) {
        wb.actions().finish(before.id(), "superseded by action " + a.id());
      }
      latest.put(a.crmRecordId(), a);
    }
    if (latest.isEmpty()) {
      return null;
    }
    List<Long> ids = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    ArrayNode records = JSON.createArrayNode();
    for (CrmAction a : latest.values()) {
      ObjectNode r = records.addObject();
      r.putObject("attributes").put("type", a.crmObject());
      r.put("Id", a.crmRecordId());
      r.put(field, CrmAction.OPT_OUT.equals(a.kind()));
      ids.add(a.id());
      keys.add(a.sid());
    }
    return new Batch(records, ids, keys, pending.size() == wb.batchSize());
  }

  @Override
  void release(Batch batch) throws Exception {
    writeback().actions().release(batch.ids, writeback().owner());
  }

  @Override
  void settle(Batch batch, JsonNode results) throws Exception {
    TaskWriteback.settleActions(writeback(), batch, results);
  }
}
