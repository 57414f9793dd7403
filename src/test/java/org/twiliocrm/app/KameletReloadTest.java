package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.apache.camel.NoSuchEndpointException;
import org.apache.camel.RuntimeCamelException;
import org.junit.jupiter.api.Test;

/** The parts of the kamelet reload that need no running connector: matching and file:line. */
class KameletReloadTest {
  static final Path FILE = Path.of("kamelets/acme-send-sink.kamelet.yaml");
  static final String KAMELET =
      """
      apiVersion: camel.apache.org/v1
      kind: Kamelet
      metadata:
        name: acme-send-sink
      spec:
        template:
          from:
            uri: kamelet:source
            steps:
              - to:
                  uri: "nosuchcomponent:x?a=b"
      """;

  @Test
  void matchesEveryFormOfAKameletUriForThatKameletOnly() {
    assertThat(KameletReload.isKameletUri("kamelet:acme-send-sink", "acme-send-sink")).isTrue();
    assertThat(KameletReload.isKameletUri("kamelet://acme-send-sink?x=1", "acme-send-sink"))
        .isTrue();
    assertThat(KameletReload.isKameletUri("kamelet:acme-send-sink/r1", "acme-send-sink")).isTrue();
    assertThat(KameletReload.isKameletUri("kamelet:acme-send-sink-v2", "acme-send-sink")).isFalse();
    assertThat(KameletReload.isKameletUri("direct:acme-send-sink", "acme-send-sink")).isFalse();
    assertThat(KameletReload.isKameletUri("kamelet:source", null)).isTrue();
  }

  @Test
  void anEndpointThatDoesNotResolveIsReportedAtItsLine() {
    Exception e =
        new RuntimeCamelException(
            "Failed to create route", new NoSuchEndpointException("nosuchcomponent://x?a=b"));
    assertThat(KameletReload.lineOf(e, KAMELET)).isEqualTo(11);
    // anything else: the template's line
    assertThat(KameletReload.lineOf(new IllegalStateException("no bean"), KAMELET)).isEqualTo(6);
  }

  @Test
  void aFileThatIsNotTheNamedKameletIsRejectedBeforeAnythingStops() {
    KameletReload reload = new KameletReload(null);
    assertThatThrownBy(() -> reload.apply(FILE, KAMELET.replace("  name: acme", "  name: x"), null))
        .isInstanceOfSatisfying(
            TreeReloader.Rejected.class,
            r -> {
              assertThat(r.findings).singleElement().extracting(f -> f.line()).isEqualTo(4);
              assertThat(r.findings.get(0).problem()).contains("must equal the file name");
            });
    assertThatThrownBy(() -> reload.apply(FILE, KAMELET.replace("kind: Kamelet", "kind: x"), null))
        .isInstanceOfSatisfying(
            TreeReloader.Rejected.class, r -> assertThat(r.findings.get(0).line()).isEqualTo(2));
    assertThatThrownBy(
            () -> reload.apply(FILE, KAMELET.replace("  template:", "  template: [oops"), null))
        .isInstanceOfSatisfying(
            TreeReloader.Rejected.class,
            r -> assertThat(r.findings.get(0).problem()).startsWith("YAML syntax"));
  }
}
