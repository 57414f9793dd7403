package org.twiliocrm.sandbox.salesforce;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

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
    return cdcEnabled;
  }

  public Collection<FieldDef> fields() {
    return fieldsByLowerName.values();
  }

  public Optional<FieldDef> field(String fieldName) {
    return Optional.ofNullable(fieldsByLowerName.get(fieldName.toLowerCase(Locale.ROOT)));
  }
}
