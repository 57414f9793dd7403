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
 * options must be the ones the README's first command line gives. And it says which of issue #20's
 * targets a run met.
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

  @Test
  void theBenchSaysWhichOfTheIssuesTargetsARunMet() {
    assertThat(LoopBench.targets(20_000, 87.5, 568, 139))
        .containsExactly(
            "against issue #20's targets:",
            "  delivered and written back: 229/s of 1,000/s (ratio 0.23): NOT met",
            "  README check: 20,000 rows in CRM after 87.5 s of 20 s (ratio 4.38): NOT met",
            "  resident memory max 568 MB of 600 MB (ratio 0.95): met",
            "  heap after full collections max 139 MB of 300 MB (ratio 0.46): met");
    assertThat(LoopBench.targets(20_000, 19.5, 612, -1))
        .containsExactly(
            "against issue #20's targets:",
            "  delivered and written back: 1,026/s of 1,000/s (ratio 1.03): met",
            "  README check: 20,000 rows in CRM after 19.5 s of 20 s (ratio 0.98): met",
            "  resident memory max 612 MB of 600 MB (ratio 1.02): NOT met");
  }
}
