package org.twiliocrm.sandbox.salesforce;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An sObject definition: standard or custom object, or a platform event. Field lookups are
 * case-insensitive, as on Salesforce.
 */
public final class SObjectType {
  public enum Kind {
    STANDARD,
    CUSTOM,
    PLATFORM_EVENT
  }

  private final String name;
  private final String label;
  private final String keyPrefix;
  private final Kind kind;
  private final boolean cdcEnabled;
  private final Map<String, FieldDef> fieldsByLowerName = new LinkedHashMap<>();
  // What an admin changed after deployment, simulated through the control API (preflight's
  // failures): deleted fields, CDC switched off or on, the integration user's field access.
  private final Set<String> deleted = ConcurrentHashMap.newKeySet();
  private final Map<String, FieldAccess> access = new ConcurrentHashMap<>();
  private volatile Boolean cdcOverride;

  /** The integration user's field-level security on one field, as an admin may have cut it. */
  public enum FieldAccess {
    /** Field invisible to the user: absent from describe, INVALID_FIELD on use. */
    NONE,
    /** Visible but neither createable nor updateable. */
    READ,
    /** Full access (the permission set's grant). */
    EDIT
  }

  SObjectType(
      String name,
      String label,
      String keyPrefix,
      Kind kind,
      boolean cdcEnabled,
      Collection<FieldDef> fields) {
    this.name = name;
    this.label = label;
    this.keyPrefix = keyPrefix;
    this.kind = kind;
    this.cdcEnabled = cdcEnabled;
    for (FieldDef f : fields) {
      fieldsByLowerName.put(f.name().toLowerCase(Locale.ROOT), f);
    }
  }

  public String name() {
    return name;
  }

  public String label() {
    return label;
  }

  public String keyPrefix() {
    return keyPrefix;
  }

  public Kind kind() {
    return kind;
  }

  public boolean isPlatformEvent() {
    return kind == Kind.PLATFORM_EVENT;
  }

  public boolean isCustom() {
    return kind != Kind.STANDARD;
  }

  public boolean cdcEnabled() {
    Boolean o = cdcOverride;
    return o == null ? cdcEnabled : o;
  }

  /** The fields the integration user sees, with their effective createable/updateable. */
  public Collection<FieldDef> fields() {
    if (deleted.isEmpty() && access.isEmpty()) {
      return fieldsByLowerName.values();
    }
    return fieldsByLowerName.values().stream()
        .map(f -> effective(f))
        .flatMap(Optional::stream)
        .toList();
  }

  public Optional<FieldDef> field(String fieldName) {
    FieldDef f = fieldsByLowerName.get(fieldName.toLowerCase(Locale.ROOT));
    return f == null ? Optional.empty() : effective(f);
  }

  private Optional<FieldDef> effective(FieldDef f) {
    String key = f.name().toLowerCase(Locale.ROOT);
    if (deleted.contains(key)) {
      return Optional.empty();
    }
    FieldAccess a = access.get(key);
    if (a == null || a == FieldAccess.EDIT) {
      return Optional.of(f);
    }
    if (a == FieldAccess.NONE) {
      return Optional.empty();
    }
    return Optional.of(
        new FieldDef(
            f.name(),
            f.type(),
            f.length(),
            f.required(),
            f.externalId(),
            f.unique(),
            false,
            false,
            f.referenceTo(),
            f.picklistValues(),
            f.label(),
            f.defaultValue(),
            f.autoNumber()));
  }

  /** Simulates an admin deleting a field; false when the object has no such field. */
  boolean deleteField(String fieldName) {
    String key = fieldName.toLowerCase(Locale.ROOT);
    return fieldsByLowerName.containsKey(key) && deleted.add(key);
  }

  /** Simulates a change to the integration user's field-level security. */
  boolean setFieldAccess(String fieldName, FieldAccess a) {
    String key = fieldName.toLowerCase(Locale.ROOT);
    if (!fieldsByLowerName.containsKey(key)) {
      return false;
    }
    access.put(key, a);
    return true;
  }

  /** Simulates an admin changing the Change Data Capture selection for this object. */
  void setCdcEnabled(boolean on) {
    cdcOverride = on;
  }

  /** Back to the deployed package. */
  void resetAdminChanges() {
    deleted.clear();
    access.clear();
    cdcOverride = null;
  }
}
