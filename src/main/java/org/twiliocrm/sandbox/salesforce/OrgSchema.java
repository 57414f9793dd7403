package org.twiliocrm.sandbox.salesforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.twiliocrm.crm.metadata.PackagedField;
import org.twiliocrm.crm.metadata.PackagedObject;
import org.twiliocrm.crm.metadata.SalesforcePackage;

/**
 * The object definitions of the emulated org, built from the connector's Salesforce package and the
 * platform's standard objects (or, for a custom seed that brings its own, the seed's {@code
 * objects} array).
 */
public final class OrgSchema {
  private final Map<String, SObjectType> byLowerName = new LinkedHashMap<>();

  OrgSchema(Collection<SObjectType> types) {
    for (SObjectType t : types) {
      byLowerName.put(t.name().toLowerCase(Locale.ROOT), t);
    }
  }

  public Optional<SObjectType> type(String name) {
    return Optional.ofNullable(byLowerName.get(name.toLowerCase(Locale.ROOT)));
  }

  public Collection<SObjectType> types() {
    return byLowerName.values();
  }

  /** The object whose ids start with the given 3-character key prefix. */
  public Optional<SObjectType> byKeyPrefix(String prefix) {
    return byLowerName.values().stream().filter(t -> t.keyPrefix().equals(prefix)).findFirst();
  }

  /**
   * The org as it looks with the connector's Salesforce package deployed: the platform's standard
   * objects ({@code standard}, see standard-objects.json) plus the package's custom objects, custom
   * fields, platform events and Change Data Capture selection.
   */
  static OrgSchema fromPackage(SalesforcePackage pkg, JsonNode standard) {
    Map<String, JsonNode> standardByName = new LinkedHashMap<>();
    standard.path("objects").forEach(o -> standardByName.put(o.path("name").asText(), o));
    Set<String> cdc = new HashSet<>(pkg.cdcObjects());
    standard.path("alsoChangeDataCapture").forEach(n -> cdc.add(n.asText()));
    JsonNode prefixes = standard.path("customObjectKeyPrefixes");
    List<SObjectType> types = new ArrayList<>();
    int customPrefix = 0;
    for (JsonNode o : standardByName.values()) {
      String name = o.path("name").asText();
      List<FieldDef> fields = systemFields(SObjectType.Kind.STANDARD);
      o.path("fields").forEach(f -> fields.add(fieldFromJson(f)));
      // Its own custom fields, and for Task (and Event) the package's Activity fields.
      pkg.fieldsOf(name).values().forEach(f -> fields.add(fromPackage(f)));
      types.add(
          new SObjectType(
              name,
              o.path("label").asText(name),
              o.path("keyPrefix").asText(),
              SObjectType.Kind.STANDARD,
              cdc.contains(name),
              fields));
    }
    for (PackagedObject p : pkg.objects().values()) {
      if (p.kind() == PackagedObject.Kind.STANDARD) {
        if (!standardByName.containsKey(p.name()) && !SalesforcePackage.ACTIVITY.equals(p.name())) {
          throw new IllegalArgumentException(
              "the Salesforce package adds fields to "
                  + p.name()
                  + ", which standard-objects.json does not define");
        }
        continue;
      }
      boolean event = p.kind() == PackagedObject.Kind.PLATFORM_EVENT;
      SObjectType.Kind kind = event ? SObjectType.Kind.PLATFORM_EVENT : SObjectType.Kind.CUSTOM;
      List<FieldDef> fields = systemFields(kind);
      if (!event) {
        // Every custom object has a Name (its nameField) and an owner.
        fields.add(field("Name", "string", 80, List.of(), List.of(), "Name", null));
        fields.add(field("OwnerId", "reference", 18, List.of("User"), List.of(), "Owner ID", null));
      }
      p.fields().values().forEach(f -> fields.add(fromPackage(f)));
      String prefix =
          event ? "e00" : prefixes.path(p.name()).asText("a0" + (char) ('A' + customPrefix++));
      types.add(new SObjectType(p.name(), p.label(), prefix, kind, cdc.contains(p.name()), fields));
    }
    return new OrgSchema(types);
  }

  /** The bundled org: the jar's package and standard-objects.json. */
  static OrgSchema bundled() {
    try (InputStream in = OrgSchema.class.getResourceAsStream(STANDARD_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(STANDARD_RESOURCE + " is missing");
      }
      return fromPackage(SalesforcePackage.bundled(), new ObjectMapper().readTree(in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static final String STANDARD_RESOURCE = "/sandbox/salesforce/standard-objects.json";

  private static FieldDef fromPackage(PackagedField f) {
    String type = f.apiType();
    int length =
        switch (type) {
          case "string", "textarea" -> f.length();
          case "picklist" -> 255;
          case "reference" -> 18;
          case "phone" -> 40;
          case "email", "url" -> 255;
          default -> 0;
        };
    Object dflt =
        "boolean".equals(type) ? Boolean.valueOf("true".equalsIgnoreCase(f.defaultValue())) : null;
    return new FieldDef(
        f.name(),
        type,
        length,
        f.required(),
        f.externalId(),
        f.unique(),
        true,
        true,
        f.referenceTo() == null ? List.of() : List.of(f.referenceTo()),
        f.picklistValues(),
        f.label().isEmpty() ? f.name() : f.label(),
        dflt,
        false);
  }

  private static FieldDef field(
      String name,
      String type,
      int length,
      List<String> refs,
      List<String> values,
      String label,
      Object dflt) {
    return new FieldDef(
        name, type, length, false, false, false, true, true, refs, values, label, dflt, false);
  }

  private static List<FieldDef> systemFields(SObjectType.Kind kind) {
    List<FieldDef> fields = new ArrayList<>();
    fields.add(FieldDef.system("Id", "id"));
    if (kind != SObjectType.Kind.PLATFORM_EVENT) {
      fields.add(FieldDef.system("IsDeleted", "boolean"));
      fields.add(FieldDef.system("CreatedDate", "datetime"));
      fields.add(FieldDef.system("CreatedById", "reference"));
      fields.add(FieldDef.system("LastModifiedDate", "datetime"));
      fields.add(FieldDef.system("LastModifiedById", "reference"));
      fields.add(FieldDef.system("SystemModstamp", "datetime"));
    } else {
      fields.add(FieldDef.system("CreatedDate", "datetime"));
      fields.add(FieldDef.system("CreatedById", "reference"));
      fields.add(FieldDef.system("ReplayId", "string"));
    }
    return fields;
  }

  /** A custom seed file's own {@code objects} (schema-in-seed, for tests and special demos). */
  static OrgSchema fromSeed(JsonNode objects) {
    List<SObjectType> types = new ArrayList<>();
    int customPrefix = 0;
    for (JsonNode o : objects) {
      String name = o.path("name").asText();
      if (name.isBlank()) {
        throw new IllegalArgumentException("seed: every object needs a name");
      }
      SObjectType.Kind kind =
          name.endsWith("__e")
              ? SObjectType.Kind.PLATFORM_EVENT
              : name.endsWith("__c") ? SObjectType.Kind.CUSTOM : SObjectType.Kind.STANDARD;
      String prefix = o.path("keyPrefix").asText("");
      if (prefix.isBlank()) {
        prefix =
            kind == SObjectType.Kind.PLATFORM_EVENT ? "e00" : "a0" + (char) ('A' + customPrefix++);
      }
      List<FieldDef> fields = systemFields(kind);
      for (JsonNode f : o.path("fields")) {
        fields.add(fieldFromJson(f));
      }
      types.add(
          new SObjectType(
              name,
              o.path("label").asText(name.replace("__c", "").replace("__e", "").replace('_', ' ')),
              prefix,
              kind,
              o.path("cdc").asBoolean(false),
              fields));
    }
    return new OrgSchema(types);
  }

  private static FieldDef fieldFromJson(JsonNode f) {
    String type = f.path("type").asText("string");
    int defaultLength =
        switch (type) {
          case "string", "picklist", "url", "email" -> 255;
          case "phone" -> 40;
          case "textarea" -> 32768;
          case "id", "reference" -> 18;
          default -> 0;
        };
    List<String> refs = new ArrayList<>();
    f.path("referenceTo").forEach(r -> refs.add(r.asText()));
    List<String> values = new ArrayList<>();
    f.path("values").forEach(v -> values.add(v.asText()));
    String fieldName = f.path("name").asText();
    return new FieldDef(
        fieldName,
        type,
        f.path("length").asInt(defaultLength),
        f.path("required").asBoolean(false),
        f.path("externalId").asBoolean(false),
        f.path("unique").asBoolean(false),
        f.path("createable").asBoolean(true),
        f.path("updateable").asBoolean(true),
        List.copyOf(refs),
        List.copyOf(values),
        f.path("label").asText(fieldName.replace("__c", "").replace('_', ' ')),
        defaultValue(f.get("default")),
        f.path("autoNumber").asBoolean(false));
  }

  private static Object defaultValue(JsonNode d) {
    if (d == null || d.isNull()) {
      return null;
    }
    if (d.isBoolean()) {
      return d.booleanValue();
    }
    if (d.isNumber()) {
      return d.numberValue();
    }
    return d.asText();
  }
}
