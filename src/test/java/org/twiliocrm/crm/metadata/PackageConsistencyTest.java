package org.twiliocrm.crm.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.twiliocrm.crm.events.SendRules;
import org.twiliocrm.dsl.WritebackMappings;

/**
 * One source of truth: every object and field the connector names (routes/, kamelets/, the send
 * rules, the write-back mappings, the phone look-up settings and the platform event mapper) exists
 * in the Salesforce package, or among the standard fields, with a type compatible with its use, and
 * the permission set lets the integration user do what the connector does with it. A rename in one
 * place without the other fails here.
 */
class PackageConsistencyTest {
  private final SalesforcePackage pkg = SalesforcePackage.load(Path.of("salesforce"));
  private final List<String> problems = new ArrayList<>();
  private int checked;

  private static final Set<String> TEXT =
      Set.of("string", "textarea", "picklist", "phone", "email", "url");

  /**
   * Write-back mapping sources (routes/writeback-to-salesforce.camel.yaml) to their field types.
   */
  private static final Map<String, Set<String>> SOURCE_TYPES =
      Map.ofEntries(
          Map.entry("sid", TEXT),
          Map.entry("direction", Set.of("picklist", "string")),
          Map.entry("channel", Set.of("picklist", "string")),
          Map.entry("status", Set.of("picklist", "string")),
          Map.entry("errorCode", TEXT),
          Map.entry("from", TEXT),
          Map.entry("to", TEXT),
          Map.entry("body", Set.of("textarea", "string")),
          Map.entry("segments", Set.of("double", "int")),
          Map.entry("sentAt", Set.of("datetime")),
          Map.entry("deliveredAt", Set.of("datetime")),
          Map.entry("createdAt", Set.of("datetime")),
          Map.entry("accountSid", TEXT),
          Map.entry("answeredBy", TEXT),
          Map.entry("duration", Set.of("double", "int")),
          Map.entry("fallbackParentSid", TEXT),
          Map.entry("fallbackStep", Set.of("double", "int")),
          Map.entry("fallbackReason", TEXT),
          Map.entry("fallbackChain", TEXT),
          Map.entry("subject", TEXT),
          Map.entry("detail", Set.of("textarea", "string")),
          Map.entry("phone", TEXT));

  @Test
  void everyObjectAndFieldTheConnectorNamesIsInThePackageWithACompatibleType() throws Exception {
    Map<String, String> props = routeProperties();
    // Message upsert: object, external id, field mapping, links.
    String msg = props.get("crmObject");
    need(msg, props.get("crmExternalId"), Set.of("string"), true, "crmExternalId");
    JsonNode ext = null;
    PackagedField extField = field(msg, props.get("crmExternalId"));
    if (extField != null && !extField.externalId()) {
      problems.add(msg + "." + props.get("crmExternalId") + " must be an External ID (upsert key)");
    }
    mapping(msg, props.get("crmFields"));
    links(msg, props.get("crmLinks"));
    // Tasks and opt-outs.
    String task = props.get("crmTaskObject");
    mapping(task, props.get("crmTaskFields"));
    for (String l : split(props.get("crmTaskLinks"))) {
      need(task, l.split("=")[1].trim(), Set.of("reference"), true, "crmTaskLinks");
    }
    for (String o : split(props.get("crmOptOutObjects"))) {
      need(o, props.get("crmOptOutField"), Set.of("boolean"), true, "crmOptOutField");
    }
    // Kamelet and route parameters naming objects.
    for (String o : sObjectNames()) {
      if (!o.contains("{{")) {
        needObject(o, "sObjectName parameter");
      }
    }
    // Send rules: the watched object, the condition field, the recipient reference, placeholders.
    for (SendRules.Rule r : SendRules.load("classpath:rules/crm-send-rules.yaml", "sms").rules()) {
      needObject(r.object(), "rule " + r.id());
      if (r.field() != null) {
        need(r.object(), r.field(), null, false, "rule " + r.id() + " when.field");
      }
      if (!"self".equals(r.to())) {
        need(r.object(), r.to(), Set.of("reference"), false, "rule " + r.id() + " to");
      }
      if (r.body() != null) {
        Matcher m = Pattern.compile("\\{\\{\\s*([A-Za-z][A-Za-z0-9_]*)\\s*}}").matcher(r.body());
        while (m.find()) {
          need(r.object(), m.group(1), null, false, "rule " + r.id() + " body");
        }
      }
      r.variables().values().forEach(v -> need(r.object(), v, null, false, "rule " + r.id()));
    }
    // Phone look-up (crm.events.phone-fields) and the platform event topic.
    Properties app = new Properties();
    try (InputStream in = getClass().getResourceAsStream("/application.properties")) {
      app.load(in);
    }
    for (String pf : split(app.getProperty("crm.events.phone-fields"))) {
      String[] of = pf.split("=")[1].trim().split("\\.");
      need(of[0], of[1], Set.of("phone", "string"), false, "crm.events.phone-fields");
    }
    String topic = app.getProperty("crm.events.platform-event-topic");
    String event = topic.substring("/event/".length());
    needObject(event, "crm.events.platform-event-topic");
    // The platform event's fields as PlatformEventMapper reads them.
    String mapper =
        Files.readString(
            Path.of("src/main/java/org/twiliocrm/crm/events/PlatformEventMapper.java"));
    Matcher m = Pattern.compile("text\\(p, \"([A-Za-z_]+__c)\"\\)").matcher(mapper);
    int eventFields = 0;
    while (m.find()) {
      need(event, m.group(1), Set.of("string", "textarea"), false, "PlatformEventMapper");
      eventFields++;
    }
    assertThat(eventFields).isGreaterThanOrEqualTo(6);
    assertThat(checked).isGreaterThan(30);
    assertThat(problems).isEmpty();
  }

  @Test
  void aRenameInTheRoutesWithoutThePackageIsCaught() throws Exception {
    mapping("Twilio_Message__c", "Status__c=status, Delivery_State__c=status");
    need("Twilio_Message__c", "Sent_At__c", Set.of("boolean"), true, "test");
    assertThat(problems)
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("Twilio_Message__c.Delivery_State__c")
                    .contains("not in the package"))
        .anySatisfy(
            p -> assertThat(p).contains("Twilio_Message__c.Sent_At__c").contains("datetime"));
  }

  // ---- checks ----

  private void mapping(String object, String spec) {
    for (String m : split(spec)) {
      String[] kv = m.split("=", 2);
      String src = kv[1].trim();
      Set<String> types = src.startsWith("'") ? TEXT : SOURCE_TYPES.get(src);
      if (types == null) {
        problems.add("unknown mapping source '" + src + "' for " + object + "." + kv[0].trim());
        continue;
      }
      need(object, kv[0].trim(), types, true, "mapping");
    }
  }

  private void links(String object, String spec) {
    for (String l : split(spec)) {
      String[] kv = l.split("=");
      needObject(kv[0].trim(), "crmLinks");
      need(object, kv[1].trim(), Set.of("reference"), true, "crmLinks");
      PackagedField f = field(object, kv[1].trim());
      if (f != null && !kv[0].trim().equals(f.referenceTo())) {
        problems.add(
            object + "." + kv[1].trim() + " looks up " + f.referenceTo() + ", not " + kv[0]);
      }
    }
  }

  private void needObject(String object, String where) {
    checked++;
    boolean packaged = pkg.objects().containsKey(object) || pkg.objectAccess().containsKey(object);
    if (!packaged) {
      problems.add(object + " (" + where + ") is not in the package or its permission set");
    }
  }

  /**
   * The field exists (packaged custom field or standard field), with one of the types, and access.
   */
  private void need(String object, String field, Set<String> types, boolean write, String where) {
    checked++;
    String at = object + "." + field;
    String type;
    PackagedField pf = field(object, field);
    JsonNode std;
    try {
      std = StandardObjects.field(StandardObjects.read(), object, field);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    PackagedObject po = pkg.objects().get(object);
    boolean nameField =
        "Name".equals(field) && po != null && po.kind() == PackagedObject.Kind.CUSTOM;
    if (nameField) {
      // Every custom object has its Name (nameField, Text 80), outside field-level security.
      type = "string";
    } else if (pf != null) {
      type = pf.apiType();
    } else if (std != null && !field.endsWith("__c")) {
      type = std.path("type").asText("string");
    } else {
      problems.add(at + " (" + where + ") is not in the package");
      return;
    }
    if (types != null && !types.contains(type)) {
      problems.add(at + " (" + where + ") is " + type + ", expected one of " + types);
    }
    boolean governed = !nameField && (std == null || std.path("fls").asBoolean(true));
    if (!governed) {
      return;
    }
    Access a = pkg.fieldAccess().get(at);
    if (a == null || !a.read()) {
      problems.add(at + " (" + where + ") is not readable through the permission set");
    } else if (write && !a.edit()) {
      problems.add(at + " (" + where + ") is written but not editable through the permission set");
    }
    Access o = pkg.objectAccess().get(object);
    if (o == null || (write && !(o.create() || o.edit()))) {
      problems.add(object + " (" + where + ") lacks object access in the permission set");
    }
  }

  private PackagedField field(String object, String field) {
    // Task's custom fields are deployed on Activity.
    return pkg.field(object, field);
  }

  private static List<String> split(String s) {
    List<String> out = new ArrayList<>();
    if (s != null) {
      for (String p : s.split(",")) {
        if (!p.isBlank()) {
          out.add(p.trim());
        }
      }
    }
    return out;
  }

  // ---- YAML ----

  /** Every setProperty name -> constant of the shipped routes. */
  /**
   * The write-back mapping as the routes set it: the write-back sinks' kamelet parameters, read
   * through {@link WritebackMappings} (the one reader), under the names the checks above use.
   */
  private static Map<String, String> routeProperties() throws Exception {
    Map<String, String> names =
        Map.of(
            "salesforce-writeback-messages-sink/sObjectName", "crmObject",
            "salesforce-writeback-messages-sink/externalIdField", "crmExternalId",
            "salesforce-writeback-messages-sink/fields", "crmFields",
            "salesforce-writeback-messages-sink/links", "crmLinks",
            "salesforce-writeback-actions-sink/taskObject", "crmTaskObject",
            "salesforce-writeback-actions-sink/taskFields", "crmTaskFields",
            "salesforce-writeback-actions-sink/taskLinks", "crmTaskLinks",
            "salesforce-writeback-actions-sink/optOutField", "crmOptOutField",
            "salesforce-writeback-actions-sink/optOutObjects", "crmOptOutObjects");
    Map<String, String> out = new LinkedHashMap<>();
    try (Stream<Path> s = Files.list(Path.of("routes"))) {
      for (Path p : s.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        for (WritebackMappings.Sink sink : WritebackMappings.read(p, Files.readString(p))) {
          sink.parameters()
              .forEach(
                  (k, v) -> {
                    String name = names.get(sink.kamelet() + "/" + k);
                    if (name != null) {
                      out.put(name, v.trim());
                    }
                  });
        }
      }
    }
    assertThat(out).containsKeys(names.values().toArray(String[]::new));
    return out;
  }

  private static List<String> sObjectNames() throws Exception {
    List<String> out = new ArrayList<>();
    List<Object> docs = new ArrayList<>(yamlDocs(Path.of("routes")));
    docs.addAll(yamlDocs(Path.of("kamelets")));
    for (Object doc : docs) {
      walk(
          doc,
          (k, v) -> {
            if ("sObjectName".equals(k) && v instanceof String s) {
              out.add(s);
            }
          });
    }
    return out;
  }

  private static List<Object> yamlDocs(Path dir) throws Exception {
    List<Object> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        new Load(LoadSettings.builder().build())
            .loadAllFromString(Files.readString(p))
            .forEach(out::add);
      }
    }
    return out;
  }

  private static void walk(Object node, java.util.function.BiConsumer<String, Object> visit) {
    if (node instanceof Map<?, ?> m) {
      m.forEach(
          (k, v) -> {
            visit.accept(String.valueOf(k), v);
            walk(v, visit);
          });
    } else if (node instanceof List<?> l) {
      l.forEach(x -> walk(x, visit));
    }
  }
}
