package org.twiliocrm.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The whole-loop benchmark claims to start the jar as the README's run command does: its java
 * options must be the ones the README's first command line gives.
 */
class LoopBenchReadmeTest {
  @Test
  void theBenchRunsTheJarWithTheReadmesJavaOptions() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("README.md"), StandardCharsets.UTF_8);
    String run =
        lines.stream()
            .filter(l -> l.contains("-jar target/twilio-crm-connector.jar"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("README has no run command with -jar"));
    Matcher m = Pattern.compile("\\bjava((?:\\s+-\\S+)*)\\s+-jar\\s").matcher(run);
    assertThat(m.find()).as("java options in: %s", run).isTrue();
    List<String> options = List.of(m.group(1).trim().split("\\s+"));
    assertThat(options).isEqualTo(LoopBench.README_JAVA_OPTIONS);
  }
}
