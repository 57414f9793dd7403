package org.twiliocrm.crm.metadata;

import java.util.Map;

/**
 * An object of the package: a custom object or platform event it creates, or a standard object it
 * adds custom fields to (then {@code kind} is STANDARD and {@code label} is empty).
 */
public record PackagedObject(
    String name, String label, Kind kind, String description, Map<String, PackagedField> fields) {

  public enum Kind {
    STANDARD,
    CUSTOM,
    PLATFORM_EVENT
  }

  public static Kind kindOf(String name) {
    return name.endsWith("__e")
        ? Kind.PLATFORM_EVENT
        : name.endsWith("__c") ? Kind.CUSTOM : Kind.STANDARD;
  }
}
