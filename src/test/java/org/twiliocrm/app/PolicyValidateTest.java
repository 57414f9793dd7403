package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code validate} checks the policy file and names file:line, as start-up does. */
class PolicyValidateTest {
  @TempDir Path dir;

  private int run(ByteArrayOutputStream err, String... args) {
    return RouteValidator.run(
        args,
        new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void aBrokenPolicyFileFailsWithFileAndLine() throws Exception {
    Path p = dir.resolve("policies.yaml");
    Files.writeString(
        p, "rules:\n  - name: calls\n    when:\n      channel: [fax]\n", StandardCharsets.UTF_8);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(run(err, p.toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("ERROR " + p + ":4: rule 'calls': unknown channel 'fax'");
  }

  @Test
  void theShippedPolicyIsValid() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(run(err, "--policies", "governance/policies.yaml"))
        .as(err.toString(StandardCharsets.UTF_8))
        .isEqualTo(0);
  }

  @Test
  void aBrokenRecipientPolicyFailsWithFileAndLine() throws Exception {
    Path p = dir.resolve("recipients.yaml");
    Files.writeString(
        p,
        "purposes:\n  marketing:\n    frequency-cap: { max: 0, window: 1d }\n"
            + "geo-permissions:\n  sms: [ZZ]\n",
        StandardCharsets.UTF_8);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(run(err, p.toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "ERROR "
                + p
                + ":3: purpose 'marketing': frequency-cap.max must be at least 1 (a cap of 0"
                + " would never send)")
        .contains("ERROR " + p + ":5: geo-permissions.sms: unknown country 'ZZ'");
  }

  @Test
  void theShippedRecipientPolicyIsValid() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(run(err, "--policies", "governance/recipients.yaml"))
        .as(err.toString(StandardCharsets.UTF_8))
        .isEqualTo(0);
  }
}
