package org.twiliocrm.governance.templates;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A template's {@code fallback:} chain: parsed, checked with file:line, part of the version. */
class TemplateFallbackTest {
  @TempDir Path dir;

  private static final String BASE =
      """
      templates:
        order-update:
          purpose: transactional
      %s
          variables:
            order: { max-length: 12, gsm7: true }
          locales:
            en:
              sms: "Order {{order}} has shipped."
      """;

  TemplateFiles.Loaded load(String fallbackLine) throws Exception {
    Files.writeString(dir.resolve("t.yaml"), BASE.formatted(fallbackLine));
    return TemplateFiles.load(dir.toString(), "en");
  }

  @Test
  void aChainIsReadAndChangesTheVersion() throws Exception {
    TemplateFiles.Loaded with = load("    fallback: [whatsapp, sms, voice]");
    assertThat(with.ok()).as(with.errorText()).isTrue();
    MessageTemplate t = with.templates().get("order-update");
    assertThat(t.fallback()).containsExactly("whatsapp", "sms", "voice");
    MessageTemplate back = MessageTemplate.fromNormalized(t.normalized());
    assertThat(back.fallback()).containsExactly("whatsapp", "sms", "voice");
    MessageTemplate without = load("").templates().get("order-update");
    assertThat(without.fallback()).isEmpty();
    assertThat(without.normalized()).doesNotContain("fallback");
    assertThat(without.version()).isNotEqualTo(t.version());
  }

  @Test
  void aBadChainIsAnErrorWithItsLine() throws Exception {
    TemplateFiles.Loaded bad = load("    fallback: [whatsapp, fax]");
    assertThat(bad.ok()).isFalse();
    assertThat(bad.errorText()).contains("t.yaml:4:").contains("unknown channel 'fax'");
    TemplateFiles.Loaded notAList = load("    fallback: sms");
    assertThat(notAList.errorText()).contains("'fallback' is a list of channels");
    assertThat(List.of(bad.ok(), notAList.ok())).containsOnly(false);
  }
}
