package org.twiliocrm.crm.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.twiliocrm.crm.events.SendRules;
import org.w3c.dom.Element;

/**
 * The package in {@code salesforce/} is well-formed sfdx source and complete: every file parses as
 * Metadata API XML of the type its suffix names, each field carries what its type requires plus
 * help text, the permission set grants exactly the package's fields, the CDC selection is exactly
 * the objects the shipped rules watch, and the jar's copy is the same package.
 */
class SalesforcePackageTest {
  static final Path ROOT = Path.of("salesforce");
  private final SalesforcePackage pkg = SalesforcePackage.load(ROOT);

  @Test
  void sfdxProjectNamesTheSourceDirectory() throws Exception {
    JsonNode project = new ObjectMapper().readTree(ROOT.resolve("sfdx-project.json").toFile());
    JsonNode dirs = project.path("packageDirectories");
    assertThat(dirs.isArray()).isTrue();
    assertThat(dirs.get(0).path("path").asText()).isEqualTo("force-app");
    assertThat(dirs.get(0).path("default").asBoolean()).isTrue();
    assertThat(project.path("sourceApiVersion").asText()).matches("\\d{2}\\.0");
    assertThat(ROOT.resolve("force-app/main/default")).isDirectory();
  }

  @Test
  void everyMetadataFileParsesAsTheTypeItsSuffixNames() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.walk(ROOT)) {
      files = s.filter(p -> p.toString().endsWith("-meta.xml")).toList();
    }
    assertThat(files).hasSizeGreaterThan(30);
    for (Path f : files) {
      String n = f.getFileName().toString();
      String root =
          n.endsWith(".object-meta.xml")
              ? "CustomObject"
              : n.endsWith(".field-meta.xml")
                  ? "CustomField"
                  : n.endsWith(".listView-meta.xml")
                      ? "ListView"
                      : n.endsWith(".permissionset-meta.xml")
                          ? "PermissionSet"
                          : n.endsWith(".platformEventChannelMember-meta.xml")
                              ? "PlatformEventChannelMember"
                              : n.endsWith(".connectedApp-meta.xml") ? "ConnectedApp" : null;
      assertThat(root).as("unknown metadata suffix: " + f).isNotNull();
      Element e = SalesforcePackage.parse(f, root);
      if (root.equals("CustomField") || root.equals("ListView")) {
        assertThat(SalesforcePackage.text(e, "fullName") + suffix(n)).isEqualTo(n);
      }
    }
  }

  private static String suffix(String n) {
    return n.substring(n.indexOf('.'));
  }

  @Test
  void holdsTheConnectorsObjectsFieldsAndEvent() {
    assertThat(pkg.objects().keySet())
        .containsExactlyInAnyOrder(
            "Twilio_Message__c",
            "Send_Message__e",
            "Contact",
            "Lead",
            "Message_Approval__c",
            "Governance_Audit__c",
            "Activity");
    // Task's custom field lives on Activity; activities allow no External ID.
    PackagedField taskSid = pkg.field("Task", "Twilio_Sid__c");
    assertThat(taskSid).isNotNull();
    assertThat(taskSid.externalId()).isFalse();
    assertThat(taskSid.length()).isEqualTo(34);
    assertThat(pkg.fieldAccess()).containsKey("Task.Twilio_Sid__c");
    PackagedObject approval = pkg.objects().get("Message_Approval__c");
    assertThat(approval.fields().get("Request_Id__c").externalId()).isTrue();
    assertThat(approval.fields().get("Status__c").picklistValues())
        .containsExactly("Pending", "Approved", "Rejected", "Expired");
    assertThat(pkg.objects().get("Governance_Audit__c").fields().get("Audit_Id__c").externalId())
        .isTrue();
    PackagedObject msg = pkg.objects().get("Twilio_Message__c");
    assertThat(msg.kind()).isEqualTo(PackagedObject.Kind.CUSTOM);
    assertThat(msg.label()).isEqualTo("Twilio Message");
    PackagedField sid = msg.fields().get("Message_Sid__c");
    assertThat(sid.externalId()).isTrue();
    assertThat(sid.unique()).isTrue();
    assertThat(sid.length()).isEqualTo(34);
    assertThat(msg.fields().get("Status__c").picklistValues()).contains("delivered", "undelivered");
    assertThat(msg.fields().get("Contact__c").referenceTo()).isEqualTo("Contact");
    assertThat(pkg.objects().get("Send_Message__e").kind())
        .isEqualTo(PackagedObject.Kind.PLATFORM_EVENT);
    assertThat(pkg.objects().get("Contact").fields().get("SMS_Opt_Out__c").apiType())
        .isEqualTo("boolean");
    assertThat(pkg.listViews())
        .contains("Twilio_Message__c.All", "Twilio_Message__c.Failed_Messages");
  }

  @Test
  void everyFieldCarriesWhatItsTypeNeedsAndHelpText() {
    for (PackagedObject o : pkg.objects().values()) {
      for (PackagedField f : o.fields().values()) {
        String at = o.name() + "." + f.name();
        assertThat(f.label()).as(at + " label").isNotBlank();
        assertThat(f.helpText()).as(at + " inlineHelpText").isNotBlank();
        switch (f.metadataType()) {
          case "Text" -> assertThat(f.length()).as(at).isBetween(1, 255);
          case "LongTextArea" -> assertThat(f.length()).as(at).isBetween(256, 131072);
          case "Number" -> assertThat(f.precision()).as(at).isBetween(1, 18);
          case "Lookup" -> assertThat(f.referenceTo()).as(at).isNotBlank();
          case "Picklist" -> assertThat(f.picklistValues()).as(at).isNotEmpty();
          case "Checkbox" -> assertThat(f.defaultValue()).as(at).isIn("false", "true");
          default -> {}
        }
        if (o.kind() == PackagedObject.Kind.PLATFORM_EVENT) {
          assertThat(f.metadataType())
              .as(at + ": platform events take Text, LongTextArea, Number, Checkbox, Date(Time)")
              .isIn("Text", "LongTextArea", "Number", "Checkbox", "Date", "DateTime");
        }
      }
    }
  }

  @Test
  void thePermissionSetGrantsEveryPackagedFieldAndNothingUnknown() throws Exception {
    Set<String> custom = new TreeSet<>();
    pkg.objects()
        .values()
        .forEach(
            o ->
                o.fields()
                    .values()
                    .forEach(
                        f ->
                            custom.add(
                                // Activity fields are granted as Activity.X, kept as Task's.
                                (o.name().equals(SalesforcePackage.ACTIVITY) ? "Task" : o.name())
                                    + "."
                                    + f.name())));
    Set<String> granted = pkg.fieldAccess().keySet();
    assertThat(granted).containsAll(custom);
    JsonNode standard = StandardObjects.read();
    for (String g : granted) {
      if (custom.contains(g)) {
        continue;
      }
      String[] p = g.split("\\.");
      JsonNode f = StandardObjects.field(standard, p[0], p[1]);
      assertThat(f).as(g + " is neither packaged nor a standard field").isNotNull();
      assertThat(f.path("fls").asBoolean(true))
          .as(g + ": not governed by field-level security, a permission set cannot list it")
          .isTrue();
    }
    for (String o : pkg.fieldAccess().keySet().stream().map(k -> k.split("\\.")[0]).toList()) {
      assertThat(pkg.objectAccess()).as("object access for " + o).containsKey(o);
    }
    assertThat(pkg.objectAccess().values().stream().filter(a -> a.read()).count())
        .isEqualTo(pkg.objectAccess().size());
    assertThat(pkg.permissionSetName()).isEqualTo("Twilio_Connector_Integration");
  }

  @Test
  void theCdcSelectionIsExactlyTheObjectsTheShippedRulesWatch() {
    Set<String> watched =
        SendRules.load("classpath:rules/crm-send-rules.yaml", "sms").rules().stream()
            .map(SendRules.Rule::object)
            .collect(Collectors.toCollection(java.util.HashSet::new));
    // ... plus the approval object, whose change events carry approvers' decisions
    // (routes/governance-to-salesforce.camel.yaml).
    watched.add("Message_Approval__c");
    // ... plus the objects whose opt-out field is synced as consent (crm-consent: in the shipped
    // governance/recipients.yaml, routes/crm-consent-sync.camel.yaml).
    new org.twiliocrm.governance.RecipientPolicyLoader()
        .load("governance/recipients.yaml").crm().stream()
            .map(org.twiliocrm.governance.RecipientPolicy.CrmConsent::object)
            .forEach(watched::add);
    assertThat(pkg.cdcObjects()).containsExactlyInAnyOrderElementsOf(watched);
  }

  @Test
  void theJarCarriesTheSamePackage() {
    SalesforcePackage bundled = SalesforcePackage.bundled();
    assertThat(bundled.requiredFields()).isEqualTo(pkg.requiredFields());
    assertThat(bundled.cdcObjects()).isEqualTo(pkg.cdcObjects());
  }

  @Test
  void theConnectedAppTemplateOffersTheSupportedGrants() {
    Element app =
        SalesforcePackage.parse(
            ROOT.resolve("templates/Twilio_CRM_Connector.connectedApp-meta.xml"), "ConnectedApp");
    Element oauth = SalesforcePackage.children(app, "oauthConfig").get(0);
    List<String> scopes = new ArrayList<>();
    SalesforcePackage.children(oauth, "scopes").forEach(s -> scopes.add(s.getTextContent()));
    assertThat(scopes).contains("Api", "RefreshToken");
    assertThat(SalesforcePackage.text(oauth, "isClientCredentialEnabled")).isEqualTo("true");
    assertThat(SalesforcePackage.text(oauth, "certificate")).isNotBlank();
  }

  @Test
  void aBrokenFileIsRefusedWithItsName(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    Path f = tmp.resolve("force-app/main/default/objects/X__c/fields/Y__c.field-meta.xml");
    Files.createDirectories(f.getParent());
    Files.writeString(
        f.getParent().getParent().resolve("X__c.object-meta.xml"),
        "<CustomObject xmlns=\"http://soap.sforce.com/2006/04/metadata\"><label>X</label></CustomObject>");
    Files.writeString(
        f, "<CustomField xmlns=\"http://soap.sforce.com/2006/04/metadata\"><fullName>Y__c");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SalesforcePackage.load(tmp))
        .hasMessageContaining("Y__c.field-meta.xml")
        .hasMessageContaining("not well-formed");
  }
}
