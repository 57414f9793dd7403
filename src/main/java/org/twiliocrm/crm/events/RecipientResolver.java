package org.twiliocrm.crm.events;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Finds the phone number to send to from a Salesforce record id: the key prefix (003 Contact, 00Q
 * Lead, ...) picks the object and its phone field (crm.events.phone-fields), then SOQL reads it.
 * Platform events that carry only a record id are looked up per commit group ({@link #resolveAll}):
 * one {@code WHERE Id IN (...)} query per object and 200 ids, not one per event. Record ids are
 * checked against Salesforce's id shape before they reach a query.
 */
final class RecipientResolver {
  static final Pattern RECORD_ID = Pattern.compile("[a-zA-Z0-9]{15}|[a-zA-Z0-9]{18}");
  static final Pattern FIELD = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

  /** Ids per {@code IN} list: SOQL's text limit allows many more; 200 keeps a query small. */
  static final int MAX_IDS_PER_QUERY = 200;

  /** The result of a look-up: a phone, or a reason code and text why there is none. */
  record Lookup(String phone, String object, String reasonCode, String reason) {
    static Lookup found(String phone, String object) {
      return new Lookup(phone, object, null, null);
    }

    static Lookup missing(String object, String code, String reason) {
      return new Lookup(null, object, code, reason);
    }

    boolean ok() {
      return phone != null;
    }
  }

  private final SoqlClient soql;
  private final Map<String, String> phoneFields;

  RecipientResolver(SoqlClient soql, Map<String, String> phoneFields) {
    this.soql = soql;
    this.phoneFields = phoneFields;
  }

  /** The object name for a record id by its key prefix, or null when not configured. */
  String objectOf(String recordId) {
    if (recordId == null || recordId.length() < 3) {
      return null;
    }
    String spec = phoneFields.get(recordId.substring(0, 3));
    return spec == null ? null : spec.substring(0, spec.indexOf('.'));
  }

  /**
   * Why no phone can be looked up for this id without asking Salesforce (bad id shape, key prefix
   * not mapped), or null when it can be.
   */
  Lookup precheck(String recordId) {
    if (recordId == null || !RECORD_ID.matcher(recordId).matches()) {
      return Lookup.missing(
          null, "BAD_RECORD_ID", "not a Salesforce record id: '" + recordId + "'");
    }
    if (phoneFields.get(recordId.substring(0, 3)) == null) {
      return Lookup.missing(
          null,
          "UNSUPPORTED_RECORD",
          "record "
              + recordId
              + " has key prefix "
              + recordId.substring(0, 3)
              + ", which crm.events.phone-fields does not map to a phone field");
    }
    return null;
  }

  /**
   * Replaces every {@link Decision.Lookup} in the group by a {@link Decision.Send} or a {@link
   * Decision.Reject}, in place (order kept), with one SOQL query per object and {@value
   * #MAX_IDS_PER_QUERY} distinct ids. Ids are matched on their case-sensitive 15-character form, so
   * an event may carry the 15- or the 18-character id. An id the org does not return is
   * RECORD_NOT_FOUND for its events only. Throws when Salesforce cannot be asked (the committer
   * retries the group).
   */
  List<EventOutcome> resolveAll(List<EventOutcome> group) throws Exception {
    // object -> phone field, and per object the distinct 15-char ids to read
    Map<String, String> fieldOf = new LinkedHashMap<>();
    Map<String, Map<String, String>> idsOf = new LinkedHashMap<>();
    boolean any = false;
    for (EventOutcome o : group) {
      for (Decision d : o.decisions()) {
        if (d instanceof Decision.Lookup l) {
          String id = l.draft().crmRecordId();
          String spec = phoneFields.get(id.substring(0, 3));
          String object = spec.substring(0, spec.indexOf('.'));
          fieldOf.put(object, spec.substring(spec.indexOf('.') + 1));
          // one entry per record (its 15-char form), queried as the first event gave it
          idsOf
              .computeIfAbsent(object, k -> new LinkedHashMap<>())
              .putIfAbsent(id.substring(0, 15), id);
          any = true;
        }
      }
    }
    if (!any) {
      return group;
    }
    // object -> (15-char id -> phone field value, or "" when the record has none)
    Map<String, Map<String, String>> found = new HashMap<>();
    for (Map.Entry<String, Map<String, String>> e : idsOf.entrySet()) {
      String object = e.getKey();
      String field = fieldOf.get(object);
      Map<String, String> phones = found.computeIfAbsent(object, k -> new HashMap<>());
      List<String> ids = new ArrayList<>(e.getValue().values());
      for (int from = 0; from < ids.size(); from += MAX_IDS_PER_QUERY) {
        List<String> chunk = ids.subList(from, Math.min(ids.size(), from + MAX_IDS_PER_QUERY));
        StringBuilder q = new StringBuilder("SELECT Id, ");
        q.append(field).append(" FROM ").append(object).append(" WHERE Id IN (");
        for (int i = 0; i < chunk.size(); i++) {
          q.append(i == 0 ? "'" : ", '").append(chunk.get(i)).append('\'');
        }
        q.append(')');
        for (Map<String, Object> row : soql.query(q.toString())) {
          Object id = row.get("Id");
          if (id != null && id.toString().length() >= 15) {
            Object phone = row.get(field);
            phones.put(
                id.toString().substring(0, 15), phone == null ? "" : phone.toString().trim());
          }
        }
      }
    }
    List<EventOutcome> out = new ArrayList<>(group.size());
    for (EventOutcome o : group) {
      if (o.decisions().stream().noneMatch(Decision.Lookup.class::isInstance)) {
        out.add(o);
        continue;
      }
      List<Decision> ds = new ArrayList<>(o.decisions().size());
      for (Decision d : o.decisions()) {
        ds.add(d instanceof Decision.Lookup l ? resolved(l, found, fieldOf) : d);
      }
      out.add(new EventOutcome(o.channel(), o.replayId(), ds));
    }
    return out;
  }

  private static Decision resolved(
      Decision.Lookup l, Map<String, Map<String, String>> found, Map<String, String> fieldOf) {
    Decision.Send s = l.draft();
    String id = s.crmRecordId();
    String object = s.crmObject();
    String phone = found.getOrDefault(object, Map.of()).get(id.substring(0, 15));
    if (phone == null) {
      return new Decision.Reject(
          l.eventKey(),
          "RECORD_NOT_FOUND",
          object + " " + id + " not found",
          object,
          id,
          l.payload());
    }
    if (phone.isBlank()) {
      return new Decision.Reject(
          l.eventKey(),
          "NO_PHONE",
          object + " " + id + " has no " + fieldOf.get(object) + " to send to",
          object,
          id,
          l.payload());
    }
    String to =
        s.channel().equals("whatsapp") && !phone.startsWith("whatsapp:")
            ? "whatsapp:" + phone
            : phone;
    return new Decision.Send(
        s.idempotencyKey(),
        s.channel(),
        to,
        s.body(),
        s.templateName(),
        s.templateVariables(),
        object,
        id);
  }

  Lookup phoneOf(String recordId) throws Exception {
    Lookup refused = precheck(recordId);
    if (refused != null) {
      return refused;
    }
    String spec = phoneFields.get(recordId.substring(0, 3));
    String object = spec.substring(0, spec.indexOf('.'));
    String field = spec.substring(spec.indexOf('.') + 1);
    List<Map<String, Object>> rows =
        soql.query("SELECT Id, " + field + " FROM " + object + " WHERE Id = '" + recordId + "'");
    if (rows.isEmpty()) {
      return Lookup.missing(object, "RECORD_NOT_FOUND", object + " " + recordId + " not found");
    }
    Object phone = rows.get(0).get(field);
    if (phone == null || phone.toString().isBlank()) {
      return Lookup.missing(
          object, "NO_PHONE", object + " " + recordId + " has no " + field + " to send to");
    }
    return Lookup.found(phone.toString().trim(), object);
  }

  /** Reads fields of one record; null when it does not exist. */
  Map<String, Object> fieldsOf(String object, String recordId, List<String> fields)
      throws Exception {
    if (!RECORD_ID.matcher(recordId).matches() || !FIELD.matcher(object).matches()) {
      return null;
    }
    StringBuilder q = new StringBuilder("SELECT Id");
    for (String f : fields) {
      if (!FIELD.matcher(f).matches()) {
        throw new IllegalArgumentException("not a field name: " + f);
      }
      if (!f.equals("Id")) {
        q.append(", ").append(f);
      }
    }
    q.append(" FROM ").append(object).append(" WHERE Id = '").append(recordId).append("'");
    List<Map<String, Object>> rows = soql.query(q.toString());
    return rows.isEmpty() ? null : rows.get(0);
  }
}
