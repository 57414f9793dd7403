package org.twiliocrm.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.app.FlowTestCommand;
import org.twiliocrm.crm.events.SendRules;

/** The published schemas accept what we ship and point at the line of a mistake. */
class YamlSchemasTest {

  @Test
  void shippedRulesAndFlowTestsPassTheirSchemas() throws Exception {
    List<Path> rules =
        List.of(
            Path.of("rules/crm-send-rules.yaml"),
            Path.of("examples/case-closed-survey/rules/crm-send-rules.yaml"));
    for (Path r : rules) {
      assertThat(YamlSchemas.check(YamlSchemas.SEND_RULES, r, Files.readString(r)))
          .as(r.toString())
          .isEmpty();
      assertThat(SendRules.loadChecked(r, "sms").rules()).isNotEmpty();
    }
    List<Path> tests = FlowTestCommand.discover(Path.of("."), List.of());
    assertThat(tests).hasSizeGreaterThanOrEqualTo(4);
    for (Path t : tests) {
      assertThat(YamlSchemas.check(YamlSchemas.FLOW_TEST, t, Files.readString(t)))
          .as(t.toString())
          .isEmpty();
    }
  }

  @Test
  void shippedFilesReferenceTheirSchemaForEditors() throws Exception {
    assertThat(Files.readString(Path.of("rules/crm-send-rules.yaml")))
        .startsWith("# yaml-language-server: $schema=../schemas/send-rules.schema.json");
    for (Path t : FlowTestCommand.discover(Path.of("."), List.of())) {
      String first = Files.readAllLines(t).get(0);
      assertThat(first).as(t.toString()).startsWith("# yaml-language-server: $schema=");
      Path schema = t.getParent().resolve(first.substring(first.indexOf('=') + 1)).normalize();
      assertThat(schema).as(t + " names a schema that exists").exists();
    }
  }

  @Test
  void aRuleMistakeIsReportedAtItsLine(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("rules.yaml");
    Files.writeString(
        f,
        """
        rules:
          - id: one
            object: Case
            send:
              channel: fax
              to: ContactId
              body: hi
        """);
    assertThatThrownBy(() -> SendRules.loadChecked(f, "sms"))
        .isInstanceOfSatisfying(
            SendRules.RulesException.class,
            e ->
                assertThat(e.findings())
                    .singleElement()
                    .satisfies(
                        x -> {
                          assertThat(x.line()).isEqualTo(5);
                          assertThat(x.problem()).contains("rules.0.send.channel").contains("fax");
                        }));
  }

  @Test
  void aRuleTheLoaderRefusesIsReportedAtTheRulesId(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("rules.yaml");
    Files.writeString(
        f,
        """
        rules:
          - id: one
            object: Case
            send: { to: ContactId, body: hi }
          - id: two
            object: Case
            send: { to: ContactId, body: hi, template: also }
        """);
    assertThatThrownBy(() -> SendRules.loadChecked(f, "sms"))
        .isInstanceOfSatisfying(
            SendRules.RulesException.class,
            e -> assertThat(e.findings().get(0).line()).isEqualTo(5));
  }
}
