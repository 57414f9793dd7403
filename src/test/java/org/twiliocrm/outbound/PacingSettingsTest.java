package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.twiliocrm.config.ConfigException;

class PacingSettingsTest {
  static PacingSettings of(Map<String, String> m) {
    return PacingSettings.from(m::get);
  }

  @Test
  void defaultsAreTwiliosRatesAndPacingIsOff() {
    PacingSettings s = of(Map.of());
    assertThat(s.enabled()).isFalse();
    assertThat(s.rateOf("+14155550100")).isEqualTo(1);
    assertThat(s.rateOf("+18005550100")).isEqualTo(3);
    assertThat(s.rateOf("+18885550100")).isEqualTo(3);
    assertThat(s.rateOf("12345")).isEqualTo(100);
    assertThat(s.rateOf("whatsapp:+14155550100")).isEqualTo(80);
    assertThat(s.rateOf("MG00000000000000000000000000000000")).isEqualTo(1);
  }

  @Test
  void theKeyIsTheServiceElseTheSenderWithWhatsappPrefixed() {
    assertThat(PacingSettings.key("sms", "+1415", "MGabc")).isEqualTo("MGabc");
    assertThat(PacingSettings.key("sms", "+14155550100", null)).isEqualTo("+14155550100");
    assertThat(PacingSettings.key("whatsapp", "+14155550100", null))
        .isEqualTo("whatsapp:+14155550100");
    assertThat(PacingSettings.key("whatsapp", "WhatsApp:+14155550100", null))
        .isEqualTo("whatsapp:+14155550100");
    assertThat(PacingSettings.key("sms", null, " ")).isNull();
  }

  @Test
  void aSenderOfItsOwnOverridesItsKind() {
    PacingSettings s =
        of(
            Map.of(
                "outbox.pacing.senders",
                " +15005550006=10, MG00000000000000000000000000000000=250,"
                    + "WhatsApp:+14155550100=40.5",
                "outbox.pacing.long-code-mps",
                "2"));
    assertThat(s.rateOf("+15005550006")).isEqualTo(10);
    assertThat(s.rateOf("MG00000000000000000000000000000000")).isEqualTo(250);
    assertThat(s.rateOf("whatsapp:+14155550100")).isEqualTo(40.5);
    assertThat(s.rateOf("+15005550007")).isEqualTo(2);
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> of(Map.of("outbox.pacing.senders", "+15005550006")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("outbox.pacing.senders")
        .hasMessageContaining("sender=rate");
    assertThatThrownBy(() -> of(Map.of("outbox.pacing.senders", "+15005550006=fast")))
        .hasMessageContaining("not a number");
    assertThatThrownBy(() -> of(Map.of("outbox.pacing.senders", "+15005550006=0")))
        .hasMessageContaining("0.01..10000");
    assertThatThrownBy(() -> of(Map.of("outbox.pacing.senders", "not a sender!=3")))
        .hasMessageContaining("is not a sender");
    assertThatThrownBy(() -> of(Map.of("outbox.pacing.short-code-mps", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("outbox.pacing.short-code-mps");
  }
}
