package org.twiliocrm.sandbox.salesforce;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The object definitions of the emulated org, built from the seed's {@code objects} array. */
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
      for (JsonNode f : o.path("fields")) {
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
        fields.add(
            new FieldDef(
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
                f.path("autoNumber").asBoolean(false)));
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
