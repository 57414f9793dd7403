package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The shipped flow tests (tests/*.flow.yaml and examples/NAME/tests/*.flow.yaml) as part of {@code
 * mvn verify}: each file runs through the same runner as {@code java -jar ... test}, against the
 * routes and kamelets in the repository, and each of its tests is one JUnit test.
 */
class ShippedFlowTestsIT {

  @TestFactory
  Stream<DynamicTest> shippedFlowTests() throws Exception {
    List<Path> files = FlowTestCommand.discover(Path.of("."), List.of());
    assertThat(files).as("shipped flow tests").isNotEmpty();
    FlowTestRunner runner = new FlowTestRunner(Path.of("."), Map.of());
    return files.stream()
        .flatMap(
            f -> {
              List<FlowTestRunner.Result> results = runner.run(f);
              return results.stream()
                  .map(
                      r ->
                          DynamicTest.dynamicTest(
                              f + " :: " + r.test(),
                              () -> assertThat(r.failure()).as(r.test()).isNull()));
            });
  }

  /** The runner can fail: a wrong expectation fails with a field-by-field diff. */
  @Test
  void aWrongExpectationFailsWithADiff() {
    List<FlowTestRunner.Result> results =
        new FlowTestRunner(Path.of("."), Map.of())
            .run(Path.of("src/test/resources/flowtest/wrong-body.flow.yaml"));
    assertThat(results).hasSize(1);
    assertThat(results.get(0).failure())
        .contains("twilio requests: expected 1, got 1")
        .contains("- body: What the test expects")
        .contains("+ body: What was sent")
        .contains("to: +14155552672");
  }

  /**
   * Calls and Verify are expectations too: a call that said other words and a verification on
   * another channel fail, each with its field diff.
   */
  @Test
  void aWrongCallOrVerifyExpectationFailsWithADiff() {
    List<FlowTestRunner.Result> results =
        new FlowTestRunner(Path.of("."), Map.of())
            .run(Path.of("src/test/resources/flowtest/wrong-call.flow.yaml"));
    assertThat(results).hasSize(1);
    assertThat(results.get(0).failure())
        .contains("twilio requests: expected 2, got 2")
        .contains("- say: What the test expects")
        .contains("+ say: What was said")
        .contains("- channel: whatsapp")
        .contains("+ channel: sms");
  }

  /** A mistake in the file is reported with file:line before anything starts. */
  @Test
  void aSchemaMistakeIsReportedWithItsLine() {
    List<FlowTestRunner.Result> results =
        new FlowTestRunner(Path.of("."), Map.of())
            .run(Path.of("src/test/resources/flowtest/bad-schema.flow.yaml"));
    assertThat(results)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.test()).isEqualTo("(load)");
              assertThat(r.failure()).contains("bad-schema.flow.yaml:5:").contains("outbx");
            });
  }
}
