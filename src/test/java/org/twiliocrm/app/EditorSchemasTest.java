package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.config.Finding;
import org.twiliocrm.dsl.YamlSchemas;

/**
 * Editor support: every shipped file of our own YAML formats (rules, templates, the policy, the
 * write-back mapping, flow tests; examples included) names its JSON Schema on its {@code #
 * yaml-language-server: $schema=} line, the path resolves to the schema in schemas/, and the file
 * passes it; and {@code validate} checks the same schema files, so a file the editor flags fails
 * validate at the same file:line.
 */
class EditorSchemasTest {
  @TempDir Path dir;

  /** The shipped files of each format, by the schema they must name. */
  private static Map<Path, String> shipped() throws IOException {
    Map<Path, String> out = new LinkedHashMap<>();
    out.put(Path.of("rules/crm-send-rules.yaml"), YamlSchemas.SEND_RULES);
    out.put(Path.of("governance/policies.yaml"), YamlSchemas.POLICIES);
    out.put(Path.of("routes/writeback-to-salesforce.camel.yaml"), YamlSchemas.WRITEBACK_MAPPINGS);
    for (Path p : files(Path.of("templates"), ".yaml")) {
      out.put(p, YamlSchemas.TEMPLATES);
    }
    for (Path p : files(Path.of("tests"), ".flow.yaml")) {
      out.put(p, YamlSchemas.FLOW_TEST);
    }
    try (Stream<Path> examples = Files.list(Path.of("examples"))) {
      for (Path ex : examples.filter(Files::isDirectory).sorted().toList()) {
        for (Path p : files(ex.resolve("rules"), ".yaml")) {
          out.put(p, YamlSchemas.SEND_RULES);
        }
        Path writeback = ex.resolve("routes/writeback-to-salesforce.camel.yaml");
        if (Files.isRegularFile(writeback)) {
          out.put(writeback, YamlSchemas.WRITEBACK_MAPPINGS);
        }
        for (Path p : files(ex.resolve("templates"), ".yaml")) {
          out.put(p, YamlSchemas.TEMPLATES);
        }
        for (Path p : files(ex.resolve("tests"), ".flow.yaml")) {
          out.put(p, YamlSchemas.FLOW_TEST);
        }
      }
    }
    return out;
  }

  private static List<Path> files(Path d, String suffix) throws IOException {
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(d)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    }
  }

  @Test
  void everyShippedFileNamesItsSchemaWhichResolvesAndPasses() throws Exception {
    Map<Path, String> files = shipped();
    assertThat(files).hasSizeGreaterThan(8);
    List<String> problems = new ArrayList<>();
    for (Map.Entry<Path, String> e : files.entrySet()) {
      Path f = e.getKey();
      String text = Files.readString(f);
      String first = text.lines().findFirst().orElse("");
      if (!first.startsWith("# yaml-language-server: $schema=")) {
        problems.add(f + ": first line does not name a schema");
        continue;
      }
      String ref = first.substring("# yaml-language-server: $schema=".length()).trim();
      Path target = f.toAbsolutePath().getParent().resolve(ref).normalize();
      if (!target.equals(Path.of("schemas", e.getValue()).toAbsolutePath().normalize())) {
        problems.add(f + ": names " + ref + ", expected schemas/" + e.getValue());
      }
      assertThat(YamlSchemas.declared(text)).as(f.toString()).contains(e.getValue());
      YamlSchemas.check(e.getValue(), f, text).forEach(x -> problems.add(x.toString()));
    }
    assertThat(problems).isEmpty();
  }

  private static int validate(ByteArrayOutputStream err, String... args) {
    return RouteValidator.run(
        args,
        new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void aTemplateFileBreakingTheSchemaFailsValidateWithFileAndLine() throws Exception {
    Path t = Files.createDirectories(dir.resolve("templates")).resolve("promo.yaml");
    Files.writeString(
        t,
        """
        # yaml-language-server: $schema=../schemas/templates.schema.json
        templates:
          spring-sale:
            purpose: marketing
            locales:
              en:
                sms: "Spring sale!"
                fax: "Spring sale on paper"
        """);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(validate(err, "--templates", t.getParent().toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains(t + ":8:").contains("fax");
    // the same line, straight from the schema the editor uses
    assertThat(YamlSchemas.check(YamlSchemas.TEMPLATES, t, Files.readString(t)))
        .singleElement()
        .satisfies(f -> assertThat(f.line()).isEqualTo(8));
  }

  @Test
  void aPolicyBreakingTheSchemaFailsValidateWithFileAndLine() throws Exception {
    Path p = dir.resolve("policies.yaml");
    Files.writeString(
        p,
        """
        approval-expiry: 24h
        rules:
          - name: night-calls
            when:
              channel: [voice]
            approver: ops
        """);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(validate(err, p.toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains(p + ":6:").contains("approver");
    assertThat(YamlSchemas.check(YamlSchemas.POLICIES, p, Files.readString(p)))
        .singleElement()
        .satisfies(f -> assertThat(f.line()).isEqualTo(6));
  }

  @Test
  void aWritebackMappingBreakingTheSchemaFailsValidateWithFileAndLine() throws Exception {
    Path r = dir.resolve("writeback.camel.yaml");
    Files.writeString(
        r,
        """
        - route:
            id: writeback-typo
            from:
              uri: timer:wb
              steps:
                - to:
                    uri: kamelet:salesforce-writeback-messages-sink
                    parameters:
                      sObjectName: Twilio_Message__c
                      externalIdField: Message_Sid__c
                      fields: Name=sid, Status__c=status
                      feilds: Body__c=body
        """);
    List<Finding> found =
        new RouteValidator(
                Path.of("routes"),
                Path.of("kamelets"),
                ConfigSource.load(Map.of(), new Properties()))
            .validate(List.of(r));
    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.file()).isEqualTo(r);
              assertThat(f.problem()).startsWith("salesforce-writeback-messages-sink parameters:");
              assertThat(f.line()).isEqualTo(12);
              assertThat(f.problem()).contains("feilds");
            });
  }

  /**
   * The write-back schema spells out the mapping sources for editors; they are FieldMapping's
   * lists, so a source added in Java and not in the schema would make validate refuse a valid
   * mapping.
   */
  @Test
  void theWritebackSchemaOffersExactlyTheSourcesFieldMappingKnows() throws IOException {
    String schema = Files.readString(Path.of("schemas/writeback-mappings.schema.json"));
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("=\\\\\\\\s\\*\\(([A-Za-z|]+)\\|'").matcher(schema);
    java.util.Set<String> seen = new java.util.TreeSet<>();
    while (m.find()) {
      seen.addAll(List.of(m.group(1).split("\\|")));
    }
    java.util.Set<String> known =
        new java.util.TreeSet<>(org.twiliocrm.crm.FieldMapping.MESSAGE_SOURCES);
    known.addAll(org.twiliocrm.crm.FieldMapping.TASK_SOURCES);
    assertThat(seen).isNotEmpty().isEqualTo(known);
  }
}
