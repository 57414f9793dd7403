package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.config.Finding;

/**
 * connector.routes.location (and validate --routes) may name several folders, comma-separated, as
 * the run loads them (the shipped routes plus an example's): validate checks every route in each.
 */
class RouteFoldersValidateTest {
  private static final Path FIXTURES = Path.of("src/test/resources/dsl-fixtures");

  @TempDir Path dir;

  private Path folder(String name, String... fixtures) throws Exception {
    Path f = Files.createDirectories(dir.resolve(name));
    for (String x : fixtures) {
      Files.copy(FIXTURES.resolve(x), f.resolve(x));
    }
    return f;
  }

  @Test
  void aBrokenRouteInTheSecondFolderIsFoundWithFileAndLine() throws Exception {
    Path first = folder("team-a", "clean.camel.yaml");
    Path second = folder("team-b", "broken-yaml.camel.yaml");
    RouteValidator v =
        new RouteValidator(
            RouteValidator.routeFolders(first + " , " + second),
            Path.of("kamelets"),
            ConfigSource.load(Map.of(), new Properties()));
    List<Finding> found = v.validateAll();
    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.file()).isEqualTo(second.resolve("broken-yaml.camel.yaml"));
              assertThat(f.line()).isEqualTo(7);
              assertThat(f.problem()).startsWith("YAML syntax:");
            });
  }

  @Test
  void theCommandTakesTheFolderListFromTheSettingAndFromRoutes() throws Exception {
    Path first = folder("shipped", "clean.camel.yaml");
    Path second = folder("example", "unknown-step.camel.yaml");
    String list = first + "," + second;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    String before = System.getProperty("connector.routes.location");
    System.setProperty("connector.routes.location", list);
    try {
      code =
          RouteValidator.run(
              new String[] {"--kamelets", "kamelets"},
              new PrintStream(new ByteArrayOutputStream()),
              new PrintStream(err, true, StandardCharsets.UTF_8));
    } finally {
      if (before == null) {
        System.clearProperty("connector.routes.location");
      } else {
        System.setProperty("connector.routes.location", before);
      }
    }
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("ERROR " + second.resolve("unknown-step.camel.yaml") + ":6:")
        .contains("sendd")
        .contains("1 error(s).");

    // the same list through --routes; the broken file fixed, both folders pass
    Files.delete(second.resolve("unknown-step.camel.yaml"));
    Files.writeString(
        second.resolve("other.camel.yaml"),
        Files.readString(FIXTURES.resolve("clean.camel.yaml")).replace("id: clean", "id: other"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err2 = new ByteArrayOutputStream();
    int ok =
        RouteValidator.run(
            new String[] {"--routes", list, "--kamelets", "kamelets"},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err2, true, StandardCharsets.UTF_8));
    assertThat(ok).as(err2.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("OK: routes in " + first + ", " + second);
  }

  @Test
  void aMissingFolderInTheListIsReported() throws Exception {
    Path first = folder("here", "clean.camel.yaml");
    Path typo = dir.resolve("not-there");
    List<Finding> found =
        new RouteValidator(
                List.of(first, typo),
                Path.of("kamelets"),
                ConfigSource.load(Map.of(), new Properties()))
            .validateAll();
    assertThat(found)
        .singleElement()
        .satisfies(f -> assertThat(f.toString()).contains("not-there").contains("no such"));
  }

  /** An example's file of the same name replaces the shipped one, in the run and in validate. */
  @Test
  void aLaterFolderReplacesAFileOfTheSameName() throws Exception {
    Path shipped = folder("shipped");
    Files.copy(FIXTURES.resolve("broken-yaml.camel.yaml"), shipped.resolve("flow.camel.yaml"));
    Files.copy(FIXTURES.resolve("clean.camel.yaml"), shipped.resolve("other.camel.yaml"));
    Path example = folder("example");
    Files.copy(FIXTURES.resolve("clean.camel.yaml"), example.resolve("flow.camel.yaml"));
    Files.writeString(
        example.resolve("flow.camel.yaml"),
        Files.readString(example.resolve("flow.camel.yaml")).replace("id: clean", "id: flow"));
    assertThat(DslLocations.routeFiles(List.of(shipped, example)))
        .containsExactly(shipped.resolve("other.camel.yaml"), example.resolve("flow.camel.yaml"));
    assertThat(
            new RouteValidator(
                    List.of(shipped, example),
                    Path.of("kamelets"),
                    ConfigSource.load(Map.of(), new Properties()))
                .validateAll())
        .isEmpty();
  }
}
