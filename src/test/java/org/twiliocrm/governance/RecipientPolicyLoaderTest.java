package org.twiliocrm.governance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * governance/recipients.yaml: the shipped file loads, and each bad input is named with its line.
 */
class RecipientPolicyLoaderTest {
  private static RecipientPolicy parse(String yaml) {
    return new RecipientPolicyLoader().parse("r.yaml", yaml.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> problems(String yaml) {
    try {
      parse(yaml);
    } catch (PolicyException e) {
      return e.problems();
    }
    throw new AssertionError("expected problems in:\n" + yaml);
  }

  @Test
  void theShippedFileLoads() {
    RecipientPolicy p = new RecipientPolicyLoader().load("governance/recipients.yaml");
    assertThat(p.defaultPurpose()).isEqualTo("transactional");
    assertThat(p.purpose("marketing").consentFor("sms"))
        .isEqualTo(RecipientPolicy.ConsentRule.OPT_IN);
    assertThat(p.purpose("transactional").consentFor("sms"))
        .isEqualTo(RecipientPolicy.ConsentRule.NO_OPT_OUT);
    assertThat(p.purpose("transactional").consentFor("whatsapp"))
        .isEqualTo(RecipientPolicy.ConsentRule.OPT_IN);
    assertThat(p.purpose("otp").quietHours()).as("OTP exempt from quiet hours").isEmpty();
    assertThat(p.purpose("marketing").cap())
        .isEqualTo(
            new RecipientPolicy.FrequencyCap(
                3, Duration.ofHours(24), RecipientPolicy.FrequencyCap.Over.HOLD));
    assertThat(p.otp().prefixDigits()).isEqualTo(8);
    assertThat(p.crm())
        .extracting(RecipientPolicy.CrmConsent::object)
        .containsExactly("Contact", "Lead");
  }

  @Test
  void aFullFileParses() {
    RecipientPolicy p =
        parse(
            """
            default-purpose: care
            purposes:
              care:
                consent: none
              promo:
                consent: { default: opt-in, voice: no-opt-out }
                quiet-hours:
                  - { from: "20:00", to: "09:00", channel: [sms, whatsapp] }
                  - { from: "12:00", to: "13:00", channel: [voice] }
                frequency-cap: { max: 2, window: 7d, over: fail }
            geo-permissions:
              sms: [us, CA]
            """);
    assertThat(p.purpose("care").consentFor("whatsapp"))
        .isEqualTo(RecipientPolicy.ConsentRule.NONE);
    assertThat(p.purpose("promo").consentFor("voice"))
        .isEqualTo(RecipientPolicy.ConsentRule.NO_OPT_OUT);
    assertThat(p.purpose("promo").quietFor("voice"))
        .singleElement()
        .satisfies(w -> assertThat(w.from()).isEqualTo(LocalTime.NOON));
    assertThat(p.purpose("promo").cap().over()).isEqualTo(RecipientPolicy.FrequencyCap.Over.FAIL);
    assertThat(p.geo().get("sms")).containsExactlyInAnyOrder("US", "CA");
    assertThat(p.otp()).isNull();
  }

  @Test
  void unknownCountriesPurposesAndChannelsAreNamedWithTheirLine() {
    assertThat(
            problems(
                """
                purposes:
                  transactional:
                    consent: { fax: opt-in }
                geo-permissions:
                  sms: [US, XX]
                  pigeon: [US]
                otp-limits:
                  purposes: [otpp]
                  per-number: { max: 3, window: 1h }
                """))
        .containsExactlyInAnyOrder(
            "r.yaml:3: purpose 'transactional': unknown channel 'fax' (expected sms, mms,"
                + " whatsapp, voice, verify)",
            "r.yaml:5: geo-permissions.sms: unknown country 'XX'",
            "r.yaml:6: geo-permissions: unknown channel 'pigeon' (expected sms, mms, whatsapp,"
                + " voice, verify)",
            "r.yaml:8: otp-limits.purposes: unknown purpose 'otpp' (declared: [transactional])");
  }

  @Test
  void windowsThatOverlapOrNeverOpenAreErrors() {
    assertThat(
            problems(
                """
                purposes:
                  transactional:
                    quiet-hours:
                      - { from: "21:00", to: "08:00" }
                      - { from: "07:00", to: "09:00", channel: [sms] }
                  marketing:
                    quiet-hours:
                      - { from: "08:00", to: "08:00" }
                  promo:
                    quiet-hours:
                      - { from: "00:00", to: "12:00", channel: [voice] }
                      - { from: "12:00", to: "24:00", channel: [voice] }
                """))
        .containsExactlyInAnyOrder(
            "r.yaml:5: purpose 'transactional': quiet hours 07:00-09:00 overlap 21:00-08:00"
                + " (line 4)",
            "r.yaml:8: purpose 'marketing': quiet hours 08:00-08:00 never open (from equals to)",
            "r.yaml:12: purpose 'promo': quiet hours never open for channel voice");
  }

  @Test
  void capsAndLimitsOfZeroAreErrors() {
    assertThat(
            problems(
                """
                purposes:
                  transactional:
                    frequency-cap: { max: 0, window: 1d }
                otp-limits:
                  per-number: { max: 0, window: 1h }
                  per-prefix: { digits: 20, max: 5, window: 0s }
                """))
        .containsExactlyInAnyOrder(
            "r.yaml:3: purpose 'transactional': frequency-cap.max must be at least 1 (a cap of 0"
                + " would never send)",
            "r.yaml:5: otp-limits.per-number.max must be at least 1 (a cap of 0 would never send)",
            "r.yaml:6: otp-limits.per-prefix.digits must be 2..14 (leading digits of the E.164"
                + " number)",
            "r.yaml:6: '0s' is not a positive duration (e.g. 30m, 24h, PT1H)");
  }

  @Test
  void unknownKeysAndBadValuesAreErrors() {
    assertThatThrownBy(
            () ->
                parse(
                    """
                    purposes:
                      transactional:
                        consent: maybe
                        quiet-hours: [{ from: "25:00", to: "08:00" }]
                    colour: blue
                    """))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("r.yaml:3: purpose 'transactional': consent 'maybe' is not one of")
        .hasMessageContaining("r.yaml:4: purpose 'transactional': '25:00' is not a time of day")
        .hasMessageContaining("r.yaml:5: unknown key 'colour'");
  }
}
