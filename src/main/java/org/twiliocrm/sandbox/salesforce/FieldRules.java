package org.twiliocrm.sandbox.salesforce;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Checks and converts a JSON record body against an object's field definitions, in the order
 * Salesforce does: unknown fields, value types, write permission, length and picklist, then
 * required fields. The first failure wins, with Salesforce's error code and message.
 */
final class FieldRules {
  /** Salesforce's own JSON datetime rendering, e.g. 2024-05-01T12:00:00.000+0000. */
  static final DateTimeFormatter SF_DATETIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);

  private static final DateTimeFormatter LENIENT_DATETIME =
      new DateTimeFormatterBuilder()
          .append(DateTimeFormatter.ISO_LOCAL_DATE)
          .appendLiteral('T')
          .appendPattern("HH:mm[:ss]")
          .optionalStart()
          .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
          .optionalEnd()
          .optionalStart()
          .appendOffset("+HH:MM", "Z")
          .optionalEnd()
          .optionalStart()
          .appendOffset("+HHMM", "Z")
          .optionalEnd()
          .toFormatter();

  private FieldRules() {}

  /**
   * Returns the body as canonical field name to converted value (null = clear the field).
   *
   * @param create true for insert (required fields and createable apply), false for update
   * @param idExists tells whether a referenced id exists in the org
   */
  static Map<String, Object> normalize(
      SObjectType type,
      Map<String, Object> body,
      boolean create,
      Function<String, Optional<String>> idExists) {
    Map<String, Object> out = new LinkedHashMap<>();
    List<FieldDef> defs = new ArrayList<>();
    for (Map.Entry<String, Object> e : body.entrySet()) {
      String key = e.getKey();
      if ("attributes".equalsIgnoreCase(key)) {
        continue;
      }
      FieldDef def =
          type.field(key)
              .orElseThrow(
                  () ->
                      SalesforceError.invalidField(
                          "No such column '" + key + "' on sobject of type " + type.name()));
      if ("Id".equals(def.name())) {
        if (!create || e.getValue() == null) {
          continue; // an update addresses the record by URL; Id in the body is just ignored
        }
      }
      defs.add(def);
      out.put(def.name(), convert(def, e.getValue(), idExists));
    }
    List<String> notWritable = new ArrayList<>();
    for (FieldDef def : defs) {
      if (create ? !def.createable() : !def.updateable()) {
        notWritable.add(def.name());
      }
    }
    if (!notWritable.isEmpty()) {
      throw new SalesforceError(
          400,
          "INVALID_FIELD_FOR_INSERT_UPDATE",
          "Unable to create/update fields: "
              + String.join(", ", notWritable)
              + ". Please check the security settings of this field and verify that it is"
              + " read/write for your profile or permission set.",
          notWritable);
    }
    for (FieldDef def : defs) {
      Object v = out.get(def.name());
      if (v instanceof String s && def.length() > 0 && s.length() > def.length()) {
        throw new SalesforceError(
            400,
            "STRING_TOO_LONG",
            def.label()
                + ": data value too large: "
                + abbreviate(s)
                + " (max length="
                + def.length()
                + ")",
            List.of(def.name()));
      }
      if (v instanceof String s
          && "picklist".equals(def.type())
          && !def.picklistValues().isEmpty()
          && def.picklistValues().stream().noneMatch(p -> p.equals(s))) {
        throw new SalesforceError(
            400,
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            def.label() + ": bad value for restricted picklist field: " + s,
            List.of(def.name()));
      }
    }
    List<String> missing = new ArrayList<>();
    for (FieldDef def : type.fields()) {
      if (!def.required()) {
        continue;
      }
      boolean absent = !out.containsKey(def.name()) || isBlank(out.get(def.name()));
      boolean clearing = out.containsKey(def.name()) && isBlank(out.get(def.name()));
      if (create ? absent : clearing) {
        missing.add(def.name());
      }
    }
    if (!missing.isEmpty()) {
      throw new SalesforceError(
          400, "REQUIRED_FIELD_MISSING", "Required fields are missing: " + missing, missing);
    }
    return out;
  }

  private static boolean isBlank(Object v) {
    return v == null || (v instanceof String s && s.isBlank());
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }

  private static SalesforceError wrongType(FieldDef def, Object value) {
    return new SalesforceError(
        400,
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        def.label() + ": value not of required type: " + value,
        List.of(def.name()));
  }

  static Object convert(FieldDef def, Object value, Function<String, Optional<String>> idExists) {
    if (value == null) {
      return null;
    }
    if (value instanceof Map || value instanceof List) {
      throw wrongType(def, value);
    }
    switch (def.type()) {
      case "boolean":
        if (value instanceof Boolean) {
          return value;
        }
        if (value instanceof String s
            && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
          return Boolean.parseBoolean(s);
        }
        throw wrongType(def, value);
      case "int":
      case "double":
      case "currency":
      case "percent":
        BigDecimal n;
        try {
          n = new BigDecimal(value instanceof Boolean ? "x" : value.toString().trim());
        } catch (NumberFormatException e) {
          throw wrongType(def, value);
        }
        if ("int".equals(def.type())) {
          try {
            return n.intValueExact();
          } catch (ArithmeticException e) {
            throw wrongType(def, value);
          }
        }
        return n.doubleValue();
      case "date":
        try {
          return LocalDate.parse(value.toString()).toString();
        } catch (DateTimeParseException e) {
          throw wrongType(def, value);
        }
      case "datetime":
        return formatDateTime(def, value);
      case "reference":
        return reference(def, value.toString(), idExists);
      case "email":
        String email = value.toString();
        if (!email.isEmpty() && !email.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
          throw new SalesforceError(
              400,
              "INVALID_EMAIL_ADDRESS",
              def.label() + ": invalid email address: " + email,
              List.of(def.name()));
        }
        return email;
      default:
        if (value instanceof Boolean || value instanceof Number || value instanceof String) {
          return value.toString();
        }
        throw wrongType(def, value);
    }
  }

  private static String formatDateTime(FieldDef def, Object value) {
    if (value instanceof Number epochMillis) {
      return SF_DATETIME.format(java.time.Instant.ofEpochMilli(epochMillis.longValue()));
    }
    try {
      var parsed =
          LENIENT_DATETIME.parseBest(
              value.toString(), OffsetDateTime::from, java.time.LocalDateTime::from);
      OffsetDateTime odt =
          parsed instanceof OffsetDateTime o
              ? o
              : ((java.time.LocalDateTime) parsed).atOffset(ZoneOffset.UTC);
      return SF_DATETIME.format(odt.toInstant());
    } catch (DateTimeParseException e) {
      throw wrongType(def, value);
    }
  }

  private static String reference(
      FieldDef def, String id, Function<String, Optional<String>> idExists) {
    if (id.isEmpty()) {
      return null;
    }
    if (!SalesforceIds.looksLikeId(id)) {
      throw new SalesforceError(
          400,
          "MALFORMED_ID",
          def.label() + ": id value of incorrect type: " + id,
          List.of(def.name()));
    }
    String id18 = SalesforceIds.to18(id);
    if (def.referenceTo().contains("User")) {
      return id18; // users are not modelled as records; any well-formed id is accepted
    }
    Optional<String> owner = idExists.apply(id18);
    if (owner.isEmpty() || !def.referenceTo().contains(owner.get())) {
      throw new SalesforceError(
          400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", List.of(def.name()));
    }
    return id18;
  }
}
