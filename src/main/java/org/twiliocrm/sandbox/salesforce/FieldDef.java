package org.twiliocrm.sandbox.salesforce;

import java.util.List;

/**
 * One field of an sObject as the seed defines it; mirrors the parts of Salesforce's field describe
 * that the emulator enforces.
 *
 * @param name API name, canonical case
 * @param type Salesforce field type: id, string, textarea, phone, email, url, picklist, boolean,
 *     int, double, currency, date, datetime, reference
 * @param length max characters for text types (0 = not a text type)
 * @param required must be present on create (nillable=false and createable)
 * @param externalId usable as upsert key
 * @param unique duplicate values are rejected with DUPLICATE_VALUE
 * @param createable may be set on create
 * @param updateable may be set on update
 * @param referenceTo target objects of a reference field
 * @param picklistValues allowed values of a picklist (empty = unrestricted)
 * @param label human label
 * @param defaultValue value applied on create when the field is absent (null = none)
 * @param autoNumber the platform assigns a running number on create
 */
public record FieldDef(
    String name,
    String type,
    int length,
    boolean required,
    boolean externalId,
    boolean unique,
    boolean createable,
    boolean updateable,
    List<String> referenceTo,
    List<String> picklistValues,
    String label,
    Object defaultValue,
    boolean autoNumber) {

  static final List<String> TEXT_TYPES =
      List.of("string", "textarea", "phone", "email", "url", "picklist", "id", "reference");

  boolean isText() {
    return TEXT_TYPES.contains(type);
  }

  /** A system field the platform maintains (Id, CreatedDate...). */
  static FieldDef system(String name, String type) {
    return new FieldDef(
        name,
        type,
        "id".equals(type) || "reference".equals(type) ? 18 : 0,
        false,
        false,
        false,
        false,
        false,
        "reference".equals(type) ? List.of("User") : List.of(),
        List.of(),
        name,
        null,
        false);
  }
}
