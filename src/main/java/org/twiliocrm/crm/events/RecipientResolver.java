package org.twiliocrm.crm.events;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Finds the phone number to send to from a Salesforce record id: the key prefix (003 Contact, 00Q
 * Lead, ...) picks the object and its phone field (crm.events.phone-fields), then one SOQL query
 * reads it. Record ids are checked against Salesforce's id shape before they reach a query.
 */
final class RecipientResolver {
  static final Pattern RECORD_ID = Pattern.compile("[a-zA-Z0-9]{15}|[a-zA-Z0-9]{18}");
  static final Pattern FIELD = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

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

  Lookup phoneOf(String recordId) throws Exception {
    if (recordId == null || !RECORD_ID.matcher(recordId).matches()) {
      return Lookup.missing(
          null, "BAD_RECORD_ID", "not a Salesforce record id: '" + recordId + "'");
    }
    String spec = phoneFields.get(recordId.substring(0, 3));
    if (spec == null) {
      return Lookup.missing(
          null,
          "UNSUPPORTED_RECORD",
          "record "
              + recordId
              + " has key prefix "
              + recordId.substring(0, 3)
              + ", which crm.events.phone-fields does not map to a phone field");
    }
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
