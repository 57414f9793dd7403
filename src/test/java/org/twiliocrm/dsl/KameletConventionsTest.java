package org.twiliocrm.dsl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.twiliocrm.config.Finding;

class KameletConventionsTest {
  private static final Path FIXTURES = Path.of("src/test/resources/dsl-fixtures/kamelets");

  private static List<Finding> check(Path file) throws Exception {
    Object doc = new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
    return KameletConventions.check(file, doc);
  }

  @Test
  void everyShippedKameletFollowsTheConventions() throws Exception {
    try (Stream<Path> files = Files.list(Path.of("kamelets"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".kamelet.yaml")).toList()) {
        assertThat(check(f)).as(f.toString()).isEmpty();
      }
    }
  }

  @Test
  void aConformingKameletPasses() throws Exception {
    assertThat(check(FIXTURES.resolve("demo-echo-action.kamelet.yaml"))).isEmpty();
  }

  @Test
  void eachBrokenConventionIsReported() throws Exception {
    List<String> problems =
        check(FIXTURES.resolve("wrong-name-action.kamelet.yaml")).stream()
            .map(Finding::problem)
            .toList();
    assertThat(problems)
        .anyMatch(p -> p.contains("must equal the file name"))
        .anyMatch(p -> p.contains("must end with its type '-sink'"))
        .anyMatch(p -> p.contains("spec.definition must have a description"))
        .anyMatch(p -> p.contains("property 'authToken' must have a description"))
        .anyMatch(
            p -> p.contains("property 'authToken' looks secret and must have format: password"))
        .anyMatch(p -> p.contains("x-descriptors"))
        .anyMatch(p -> p.contains("spec.types"))
        .anyMatch(p -> p.contains("spec.dependencies"));
  }

  @Test
  void aBeanShellWithoutAHeaderContractIsReported() throws Exception {
    List<String> problems =
        check(FIXTURES.resolve("demo-shell-action.kamelet.yaml")).stream()
            .map(Finding::problem)
            .toList();
    assertThat(problems)
        .hasSize(2)
        .anyMatch(p -> p.contains("bean step ref '{{actions}}' is chosen by a property"))
        .anyMatch(p -> p.contains("documents its header contract"));
  }
}
