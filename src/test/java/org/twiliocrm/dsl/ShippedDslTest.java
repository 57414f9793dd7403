package org.twiliocrm.dsl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.twiliocrm.app.RouteValidator;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.config.Finding;

/**
 * Loads every shipped route and kamelet the way the connector does, and proves the validator bites.
 */
class ShippedDslTest {
  private static final Path FIXTURES = Path.of("src/test/resources/dsl-fixtures");
  private final RouteValidator shipped =
      new RouteValidator(
          Path.of("routes"), Path.of("kamelets"), ConfigSource.load(Map.of(), new Properties()));
  private final RouteValidator fixtures =
      new RouteValidator(
          FIXTURES, FIXTURES.resolve("kamelets"), ConfigSource.load(Map.of(), new Properties()));

  @Test
  void everyShippedRouteAndKameletLoads() throws Exception {
    assertThat(shipped.validateAll()).isEmpty();
  }

  @Test
  void aCleanRoutePasses() throws Exception {
    assertThat(fixtures.validate(List.of(FIXTURES.resolve("clean.camel.yaml")))).isEmpty();
  }

  @Test
  void yamlSyntaxErrorGivesFileAndLine() throws Exception {
    Path f = FIXTURES.resolve("broken-yaml.camel.yaml");
    List<Finding> found = fixtures.validate(List.of(f));
    assertThat(found).hasSize(1);
    assertThat(found.get(0).file()).isEqualTo(f);
    assertThat(found.get(0).line()).isEqualTo(7);
    assertThat(found.get(0).problem()).startsWith("YAML syntax:");
  }

  @Test
  void unknownEndpointOptionIsNamed() throws Exception {
    List<Finding> found = fixtures.validate(List.of(FIXTURES.resolve("unknown-option.camel.yaml")));
    assertThat(found).hasSize(1);
    assertThat(found.get(0).problem()).contains("periodd");
    assertThat(found.get(0).line()).isPositive();
  }

  @Test
  void missingPlaceholderIsNamed() throws Exception {
    List<Finding> found =
        fixtures.validate(List.of(FIXTURES.resolve("missing-placeholder.camel.yaml")));
    assertThat(found).hasSize(1);
    assertThat(found.get(0).problem()).contains("connector.no-such-key");
  }

  @Test
  void unknownDslStepGivesLine() throws Exception {
    List<Finding> found = fixtures.validate(List.of(FIXTURES.resolve("unknown-step.camel.yaml")));
    assertThat(found).hasSize(1);
    assertThat(found.get(0).problem()).contains("sendd");
    assertThat(found.get(0).line()).isEqualTo(6);
  }

  @Test
  void unknownWritebackMappingSourceGivesFileLineAndTheKnownSources() throws Exception {
    Path f = FIXTURES.resolve("bad-writeback-mapping.camel.yaml");
    List<Finding> found = fixtures.validate(List.of(f));
    assertThat(found).hasSize(1);
    assertThat(found.get(0).file()).isEqualTo(f);
    assertThat(found.get(0).line()).isEqualTo(12);
    assertThat(found.get(0).problem())
        .contains("unknown source 'statuss'")
        .contains("Status__c")
        .contains("deliveredAt");
  }
}
