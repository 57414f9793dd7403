package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.crm.events.SendRules;
import org.twiliocrm.dsl.YamlSchemas;

/**
 * new-flow writes a route that loads, a schema-valid flow test, a rule stub; overwrites nothing.
 */
class NewFlowCommandTest {

  @Test
  void writesASkeletonThatLoadsAndATestThatIsValid(@TempDir Path root) throws Exception {
    Files.createDirectories(root.resolve("rules"));
    Files.copy(Path.of("rules/crm-send-rules.yaml"), root.resolve("rules/crm-send-rules.yaml"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        NewFlowCommand.write(root, "order-shipped", new PrintStream(out), new PrintStream(err));
    assertThat(code).isZero();
    Path route = root.resolve("routes/order-shipped.camel.yaml");
    Path test = root.resolve("tests/order-shipped.flow.yaml");
    assertThat(route).exists();
    assertThat(test).exists();

    // the route skeleton passes validate as written
    RouteValidator v =
        new RouteValidator(
            route.getParent(), Path.of("kamelets"), ConfigSource.load(Map.of(), new Properties()));
    assertThat(v.validate(List.of(route))).isEmpty();
    // the flow test is valid (and fails when run: it expects a message nothing sends)
    assertThat(YamlSchemas.check(YamlSchemas.FLOW_TEST, test, Files.readString(test))).isEmpty();
    assertThat(Files.readString(test)).contains("steps: []").contains("TODO");
    // the rule stub is a comment: the rules still load, unchanged in number
    Path rules = root.resolve("rules/crm-send-rules.yaml");
    assertThat(Files.readString(rules)).contains("#  - id: order-shipped");
    assertThat(SendRules.loadChecked(rules, "sms").rules())
        .hasSameSizeAs(SendRules.loadChecked(Path.of("rules/crm-send-rules.yaml"), "sms").rules());

    // a second run overwrites nothing
    Files.writeString(route, "# mine");
    assertThat(
            NewFlowCommand.write(root, "order-shipped", new PrintStream(out), new PrintStream(err)))
        .isEqualTo(1);
    assertThat(Files.readString(route)).isEqualTo("# mine");
    assertThat(err.toString()).contains("already exists");
  }
}
