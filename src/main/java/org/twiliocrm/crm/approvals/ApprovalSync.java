package org.twiliocrm.crm.approvals;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.crm.FieldMapping;
import org.twiliocrm.governance.ApprovalRequest;
import org.twiliocrm.governance.Approvals;
import org.twiliocrm.governance.Audit;

/**
 * Governance in Salesforce, bound by the kamelet {@code salesforce-governance-sink} through {@code
 * template.beans} with the object and field mapping of routes/governance-to-salesforce.camel.yaml.
 * One bean, three inputs (the route's body says which):
 *
 * <ul>
 *   <li>{@code push} (a timer): approval requests that are new or changed are upserted into the
 *       approval object by request id, and audit rows not yet written into the audit object by
 *       audit id (sObject Collections, up to 200 a call). Idempotent: a record written twice is
 *       upserted to the same state.
 *   <li>a Change Data Capture event of the approval object: the changed records are read back with
 *       SOQL and decided (below) at once.
 *   <li>{@code sweep} (a slower timer): the safety net for missed events — pending requests whose
 *       record says Approved or Rejected are decided.
 * </ul>
 *
 * <p>Deciding: the approver is the user who changed the status (the change event's commitUser, or
 * the record's LastModifiedById in the sweep), resolved to a name with SOQL on User. The decision
 * goes through {@link Approvals}, like one made over {@code /api/approvals}: same transaction, same
 * audit, same four-eyes rule (the user's name, username and id all count). A refused approval is
 * written back as Pending with a note on the record, so the approver sees why.
 */
public final class ApprovalSync implements CamelContextAware {
  private static final Logger LOG = LoggerFactory.getLogger(ApprovalSync.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SF_ID = Pattern.compile("[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?");
  static final int BATCH = 200;

  /** What an approval request offers the field mapping. */
  public static final List<String> REQUEST_SOURCES =
      List.of(
          "requestId",
          "name",
          "rule",
          "campaign",
          "rowCount",
          "template",
          "templateVersion",
          "channel",
          "sample",
          "countries",
          "requestedBy",
          "reason",
          "createdAt",
          "expiresAt",
          "decidedBy",
          "decidedAt");

  /** What an audit row offers the field mapping. */
  public static final List<String> AUDIT_SOURCES =
      List.of(
          "auditId",
          "name",
          "occurredAt",
          "actor",
          "action",
          "subjectType",
          "subjectId",
          "before",
          "after",
          "detail");

  private CamelContext camelContext;
  private ProducerTemplate producer;
  private ApprovalStore store;
  private Approvals approvals;
  private String sObjectName;
  private String externalIdField;
  private FieldMapping fields;
  private String statusField;
  private String commentField;
  private String noteField;
  private String auditObject;
  private String auditExternalIdField;
  private FieldMapping auditFields;
  private String apiVersion = "59.0";
  private final Map<String, User> users = new ConcurrentHashMap<>();
  private volatile boolean failing;

  /** A Salesforce user as the approval records it. */
  record User(String id, String name, String username) {
    String actor() {
      return name + " (Salesforce user " + username + ")";
    }
  }

  // ---- configuration (kamelet parameters) ----

  public void setStore(ApprovalStore store) {
    this.store = store;
  }

  public void setApprovals(Approvals approvals) {
    this.approvals = approvals;
  }

  public void setSObjectName(String s) {
    this.sObjectName = required("sObjectName", s);
  }

  public void setExternalIdField(String s) {
    this.externalIdField = required("externalIdField", s);
  }

  public void setFields(String spec) {
    this.fields = FieldMapping.parse("fields", spec, REQUEST_SOURCES);
  }

  public void setStatusField(String s) {
    this.statusField = required("statusField", s);
  }

  public void setCommentField(String s) {
    this.commentField = required("commentField", s);
  }

  public void setNoteField(String s) {
    this.noteField = s == null || s.isBlank() ? null : s.trim();
  }

  public void setAuditObject(String s) {
    this.auditObject = s == null || s.isBlank() ? null : s.trim();
  }

  public void setAuditExternalIdField(String s) {
    this.auditExternalIdField = s == null || s.isBlank() ? null : s.trim();
  }

  public void setAuditFields(String spec) {
    this.auditFields = FieldMapping.parse("auditFields", spec, AUDIT_SOURCES);
  }

  public void setApiVersion(String v) {
    this.apiVersion = required("apiVersion", v);
  }

  @Override
  public void setCamelContext(CamelContext camelContext) {
    this.camelContext = camelContext;
  }

  @Override
  public CamelContext getCamelContext() {
    return camelContext;
  }

  private static String required(String what, String v) {
    if (v == null || v.isBlank() || !v.trim().matches("[A-Za-z0-9_.]+")) {
      throw new IllegalArgumentException(what + ": an API name is required, got '" + v + "'");
    }
    return v.trim();
  }

  // ---- the three inputs ----

  /** The route's one step: a change event (JSON), "sweep", or anything else (a push tick). */
  public synchronized void handle(Exchange exchange) {
    Object body = exchange.getMessage().getBody();
    String text = body == null ? "" : exchange.getMessage().getBody(String.class);
    try {
      if (text != null && text.contains("ChangeEventHeader")) {
        onChange(text);
      } else if ("sweep".equals(text)) {
        sweep();
      } else {
        push();
      }
      if (failing) {
        LOG.info("Governance in Salesforce works again");
        failing = false;
      }
    } catch (Exception e) {
      // Nothing was marked: the next tick, event or sweep tries again. Logged once per outage.
      if (!failing) {
        LOG.warn("Governance in Salesforce failed, retrying: {}", e.getMessage());
        failing = true;
      }
    }
  }

  /** Writes new and changed approval requests, then audit rows not yet in the org. */
  void push() throws Exception {
    List<ApprovalStore.ToWrite> due = store.toWrite(BATCH);
    if (!due.isEmpty()) {
      ArrayNode records = JSON.createArrayNode();
      for (ApprovalStore.ToWrite w : due) {
        Optional<ApprovalRequest> r = approvals.show(w.id());
        if (r.isEmpty()) {
          continue;
        }
        records.add(requestRecord(r.get(), w));
      }
      JsonNode results = upsert(sObjectName, externalIdField, records);
      for (int i = 0; i < due.size() && i < records.size(); i++) {
        JsonNode res = results.get(i);
        if (res != null && res.path("success").asBoolean(false)) {
          store.written(due.get(i).id(), due.get(i).state());
        } else {
          LOG.warn("Salesforce refused approval request {}: {}", due.get(i).id(), res);
        }
      }
    }
    if (auditObject == null || auditExternalIdField == null) {
      return;
    }
    List<Audit.Entry> audit = store.auditToWrite(BATCH);
    if (audit.isEmpty()) {
      return;
    }
    ArrayNode records = JSON.createArrayNode();
    for (Audit.Entry a : audit) {
      ObjectNode rec = JSON.createObjectNode();
      rec.putObject("attributes").put("type", auditObject);
      rec.put(auditExternalIdField, String.valueOf(a.id()));
      auditFields.apply(rec, auditSources(a));
      records.add(rec);
    }
    JsonNode results = upsert(auditObject, auditExternalIdField, records);
    List<Long> done = new ArrayList<>();
    for (int i = 0; i < audit.size(); i++) {
      JsonNode res = results.get(i);
      if (res != null && res.path("success").asBoolean(false)) {
        done.add(audit.get(i).id());
      } else {
        LOG.warn("Salesforce refused audit row {}: {}", audit.get(i).id(), res);
      }
    }
    store.auditWritten(done);
  }

  ObjectNode requestRecord(ApprovalRequest r, ApprovalStore.ToWrite w) throws Exception {
    ObjectNode rec = JSON.createObjectNode();
    rec.putObject("attributes").put("type", sObjectName);
    rec.put(externalIdField, String.valueOf(r.id()));
    fields.apply(rec, requestSources(r));
    if (w.writeStatus()) {
      rec.put(statusField, picklist(r.status()));
    }
    if (!r.pending()) {
      // The comment of a decision taken over the API (or the approver's own, unchanged).
      if (r.comment() != null) {
        rec.put(commentField, r.comment());
      }
    }
    if (noteField != null) {
      if (w.note() == null) {
        rec.putNull(noteField);
      } else {
        rec.put(noteField, w.note().length() <= 255 ? w.note() : w.note().substring(0, 255));
      }
    }
    return rec;
  }

  /** A change event of the approval object: the changed records are decided now. */
  void onChange(String raw) throws Exception {
    JsonNode payload = JSON.readTree(raw);
    if (payload.has("data")) {
      payload = payload.path("data");
    }
    if (payload.has("payload")) {
      payload = payload.path("payload");
    }
    JsonNode header = payload.path("ChangeEventHeader");
    if (!"UPDATE".equals(header.path("changeType").asText())) {
      return;
    }
    boolean statusChanged = false;
    for (JsonNode f : header.path("changedFields")) {
      statusChanged |= f.asText().equals(statusField);
    }
    if (!statusChanged) {
      return; // the connector's own row-count or note updates
    }
    String commitUser = header.path("commitUser").asText(null);
    List<String> ids = new ArrayList<>();
    for (JsonNode id : header.path("recordIds")) {
      if (SF_ID.matcher(id.asText()).matches()) {
        ids.add("'" + id.asText() + "'");
      }
    }
    if (ids.isEmpty()) {
      return;
    }
    for (Map<String, Object> rec :
        query(select() + " WHERE Id IN (" + String.join(",", ids) + ")")) {
      decide(rec, commitUser);
    }
  }

  /** The safety net: pending requests whose record was decided while no event arrived. */
  void sweep() throws Exception {
    List<Long> pending = store.pendingInOrg(BATCH);
    if (pending.isEmpty()) {
      return;
    }
    List<String> keys = pending.stream().map(id -> "'" + id + "'").toList();
    for (Map<String, Object> rec :
        query(
            select()
                + " WHERE "
                + statusField
                + " IN ('Approved', 'Rejected') AND "
                + externalIdField
                + " IN ("
                + String.join(",", keys)
                + ")")) {
      decide(rec, null);
    }
  }

  private String select() {
    return "SELECT Id, "
        + externalIdField
        + ", "
        + statusField
        + ", "
        + commentField
        + ", LastModifiedById FROM "
        + sObjectName;
  }

  private void decide(Map<String, Object> rec, String commitUser) throws Exception {
    String status = String.valueOf(rec.get(statusField));
    boolean approve = "Approved".equalsIgnoreCase(status);
    if (!approve && !"Rejected".equalsIgnoreCase(status)) {
      return;
    }
    long id;
    try {
      id = Long.parseLong(String.valueOf(rec.get(externalIdField)));
    } catch (NumberFormatException e) {
      return; // not one of the connector's records
    }
    Optional<ApprovalRequest> local = approvals.show(id);
    if (local.isEmpty() || !local.get().pending()) {
      return; // decided already (over the API, by an earlier event, or expired)
    }
    String userId = commitUser != null ? commitUser : (String) rec.get("LastModifiedById");
    User user = user(userId);
    Object c = rec.get(commentField);
    String comment = c == null ? null : c.toString();
    Approvals.Decision d =
        approve
            ? approvals.approve(
                id, user.actor(), List.of(user.name(), user.username(), user.id()), comment)
            : approvals.reject(id, user.actor(), comment);
    switch (d.result()) {
      case DONE ->
          LOG.info(
              "Approval request {} {} in Salesforce by {}: {} row(s) {}",
              id,
              approve ? "approved" : "rejected",
              user.name(),
              d.rows(),
              approve ? "released" : "failed REJECTED_BY_APPROVER");
      case FOUR_EYES_VIOLATION -> {
        store.refused(
            id,
            "Approval by "
                + user.name()
                + " refused: they caused this hold (four eyes); another approver must decide.");
        LOG.info(
            "Approval request {}: approval in Salesforce by {} refused (four eyes)",
            id,
            user.name());
      }
      default -> {
        // NOT_FOUND / ALREADY_DECIDED: a race with another path; nothing changed.
      }
    }
  }

  private User user(String userId) throws Exception {
    if (userId == null || !SF_ID.matcher(userId).matches()) {
      throw new IllegalStateException("the approver's user id is missing or malformed");
    }
    User known = users.get(userId);
    if (known != null) {
      return known;
    }
    List<Map<String, Object>> found =
        query("SELECT Id, Name, Username FROM User WHERE Id = '" + userId + "'");
    User u =
        found.isEmpty()
            ? new User(userId, userId, userId)
            : new User(
                userId,
                String.valueOf(found.get(0).get("Name")),
                String.valueOf(found.get(0).get("Username")));
    users.put(userId, u);
    return u;
  }

  private Map<String, Object> requestSources(ApprovalRequest r) throws Exception {
    Map<String, Object> src = new LinkedHashMap<>();
    src.put("requestId", String.valueOf(r.id()));
    src.put("name", clip("Approval #" + r.id() + " " + r.rule(), 80));
    src.put("rule", r.rule());
    src.put("campaign", r.campaign());
    src.put("rowCount", r.rowCount());
    src.put("template", r.templateName());
    src.put("templateVersion", templateVersion(r));
    src.put("channel", r.channel());
    src.put("sample", r.sample());
    src.put("countries", clip(String.join(",", r.countries()), 255));
    src.put("requestedBy", clip(String.join(",", r.requestedBy()), 255));
    src.put("reason", clip(r.reason(), 1000));
    src.put("createdAt", r.createdAt() == null ? null : r.createdAt().toString());
    src.put("expiresAt", r.expiresAt() == null ? null : r.expiresAt().toString());
    src.put("decidedBy", r.decidedBy());
    src.put("decidedAt", r.decidedAt() == null ? null : r.decidedAt().toString());
    return src;
  }

  /** A rule that holds a new template version names it in the campaign (template:name@version). */
  private String templateVersion(ApprovalRequest r) throws Exception {
    if (r.campaign() != null
        && r.campaign().startsWith("template:")
        && r.campaign().contains("@")) {
      return r.campaign().substring(r.campaign().indexOf('@') + 1);
    }
    return store.approvedVersion(r.templateName()).orElse(null);
  }

  private static Map<String, Object> auditSources(Audit.Entry a) {
    Map<String, Object> src = new LinkedHashMap<>();
    src.put("auditId", String.valueOf(a.id()));
    src.put("name", clip("Audit #" + a.id() + " " + a.action(), 80));
    src.put("occurredAt", a.at() == null ? null : a.at().toString());
    src.put("actor", a.actor());
    src.put("action", a.action());
    src.put("subjectType", a.subjectType());
    src.put("subjectId", a.subjectId());
    src.put("before", a.before());
    src.put("after", a.after());
    src.put("detail", a.detail());
    return src;
  }

  static String picklist(String status) {
    return switch (status) {
      case "APPROVED" -> "Approved";
      case "REJECTED" -> "Rejected";
      case "EXPIRED" -> "Expired";
      default -> "Pending";
    };
  }

  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }

  // ---- Salesforce calls, through the connector's one camel-salesforce component ----

  private ProducerTemplate producer() {
    if (producer == null) {
      producer = camelContext.createProducerTemplate();
    }
    return producer;
  }

  private JsonNode upsert(String object, String extField, ArrayNode records) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.put("allOrNone", false);
    body.set("records", records);
    Object reply =
        producer()
            .requestBody(
                "salesforce:raw?format=JSON&rawMethod=PATCH&rawPath=/services/data/v"
                    + apiVersion
                    + "/composite/sobjects/"
                    + object
                    + "/"
                    + extField,
                body.toString());
    JsonNode results =
        JSON.readTree(camelContext.getTypeConverter().mandatoryConvertTo(String.class, reply));
    return results != null && results.isArray() ? results : JSON.createArrayNode();
  }

  private List<Map<String, Object>> query(String soql) throws Exception {
    Object reply =
        producer()
            .requestBodyAndHeader("salesforce:query?rawPayload=true", null, "sObjectQuery", soql);
    Map<String, Object> result =
        JSON.readValue(
            camelContext.getTypeConverter().mandatoryConvertTo(String.class, reply),
            new TypeReference<>() {});
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> records = (List<Map<String, Object>>) result.get("records");
    return records == null ? List.of() : records;
  }
}
