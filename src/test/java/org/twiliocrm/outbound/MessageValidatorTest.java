package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.twiliocrm.governance.Channel;
import org.twiliocrm.governance.PhoneRules;

class MessageValidatorTest {
  static final String FROM = "+15005550006";
  static final Templates HELLO =
      Templates.ofSmsBodies(Map.of("hello", "Hi {{name}}, see you {{ when }}."));
  final MessageValidator v =
      new MessageValidator(
          new PhoneRules("US"),
          HELLO,
          // every template in HELLO counts as approved here; the approval gate has its own tests
          name -> HELLO.find(name),
          0, // outbox.max-segments as shipped: no policy cap
          null);

  static OutboxRow row(
      String channel,
      String to,
      String from,
      String body,
      String template,
      String vars,
      String contentSid,
      String media) {
    return new OutboxRow(
        1,
        "k",
        Channel.of(channel),
        to,
        from,
        null,
        body,
        template,
        vars,
        contentSid,
        null,
        media,
        "SENDING",
        1,
        "me",
        Instant.now(),
        Instant.now(),
        null,
        OutboxRow.Gov.NONE,
        null,
        null);
  }

  OutboxWork run(OutboxRow row) {
    OutboxWork w = new OutboxWork(row);
    v.validate(w);
    v.render(w);
    return w;
  }

  String reason(OutboxRow row) {
    OutboxWork w = run(row);
    return w.isDecided() ? w.getOutcome().reasonCode() : null;
  }

  @Test
  void aValidSmsPassesWithNormalisedNumbersAndSegments() {
    OutboxWork w = run(row("sms", "415 555 0123", FROM, "hello", null, null, null, null));
    assertThat(w.isDecided()).isFalse();
    assertThat(w.getTo()).isEqualTo("+14155550123");
    assertThat(w.getFrom()).isEqualTo(FROM);
    assertThat(w.getSegments()).isEqualTo(1);
  }

  @Test
  void anInvalidRecipientFails() {
    assertThat(reason(row("sms", "12", FROM, "x", null, null, null, null)))
        .isEqualTo("INVALID_RECIPIENT");
  }

  @Test
  void aMissingOrInvalidSenderFails() {
    assertThat(reason(row("sms", "+14155550123", null, "x", null, null, null, null)))
        .isEqualTo("SENDER_MISSING");
    assertThat(reason(row("voice", "+14155550123", "12", "x", null, null, null, null)))
        .isEqualTo("INVALID_SENDER");
  }

  @Test
  void bodyLengthAndSegmentsAreChecked() {
    assertThat(reason(row("sms", "+14155550123", FROM, "a".repeat(1600), null, null, null, null)))
        .isNull();
    assertThat(reason(row("sms", "+14155550123", FROM, "a".repeat(1601), null, null, null, null)))
        .isEqualTo("BODY_TOO_LONG");
    assertThat(reason(row("sms", "+14155550123", FROM, null, null, null, null, null)))
        .isEqualTo("BODY_MISSING");
  }

  @Test
  void theDefaultsAcceptWhatTwilioAccepts() {
    // 720 UCS-2 characters: 11 segments, accepted by Twilio and by the defaults.
    OutboxWork cyrillic =
        run(row("sms", "+14155550123", FROM, "ж".repeat(720), null, null, null, null));
    assertThat(cyrillic.isDecided()).isFalse();
    assertThat(cyrillic.getSegments()).isEqualTo(11);
    // 720 emoji are 1,440 UTF-16 units (22 segments) but 720 characters: still within Twilio's
    // 1,600.
    OutboxWork emoji =
        run(row("sms", "+14155550123", FROM, "😀".repeat(720), null, null, null, null));
    assertThat(emoji.isDecided()).isFalse();
    assertThat(emoji.getSegments()).isEqualTo(22);
    // Twilio's full limit in UCS-2: 1,600 characters, 24 segments.
    OutboxWork full =
        run(row("sms", "+14155550123", FROM, "ж".repeat(1600), null, null, null, null));
    assertThat(full.isDecided()).isFalse();
    assertThat(full.getSegments()).isEqualTo(24);
    assertThat(reason(row("sms", "+14155550123", FROM, "😀".repeat(1601), null, null, null, null)))
        .isEqualTo("BODY_TOO_LONG");
  }

  @Test
  void aSegmentCapIsAnExplicitPolicyAndItsReasonSaysSo() {
    MessageValidator capped =
        new MessageValidator(
            new PhoneRules("US"),
            new Templates(Map.of()),
            name -> java.util.Optional.empty(),
            11,
            null);
    OutboxWork over =
        new OutboxWork(row("sms", "+14155550123", FROM, "ж".repeat(738), null, null, null, null));
    capped.validate(over);
    capped.render(over);
    assertThat(over.getOutcome().reasonCode()).isEqualTo("TOO_MANY_SEGMENTS");
    assertThat(over.getOutcome().reason())
        .isEqualTo(
            "12 UCS2 segments exceeds the configured segment cap outbox.max-segments=11 (a policy,"
                + " Twilio itself allows 1,600 characters)");
    OutboxWork at =
        new OutboxWork(row("sms", "+14155550123", FROM, "ж".repeat(737), null, null, null, null));
    capped.validate(at);
    capped.render(at);
    assertThat(at.isDecided()).isFalse();
    // WhatsApp bodies are not split into SMS segments: the cap does not apply.
    OutboxWork wa =
        new OutboxWork(
            row("whatsapp", "+14155550123", FROM, "ж".repeat(738), null, null, null, null));
    capped.validate(wa);
    capped.render(wa);
    assertThat(wa.isDecided()).isFalse();
  }

  @Test
  void whatsAppNeedsWhatsAppAddressesAndNothingElseMayUseThem() {
    // A bare sender on channel whatsapp is normalised, as a bare recipient is.
    OutboxWork bare = run(row("whatsapp", "4155550123", FROM, "x", null, null, null, null));
    assertThat(bare.isDecided()).isFalse();
    assertThat(bare.getFrom()).isEqualTo("whatsapp:" + FROM);
    assertThat(bare.getTo()).isEqualTo("whatsapp:+14155550123");
    assertThat(reason(row("whatsapp", "+14155550123", "Acme", "x", null, null, null, null)))
        .isEqualTo("INVALID_SENDER");
    assertThat(reason(row("sms", "whatsapp:+14155550123", FROM, "x", null, null, null, null)))
        .isEqualTo("WHATSAPP_ADDRESS");
    assertThat(reason(row("sms", "+14155550123", "whatsapp:" + FROM, "x", null, null, null, null)))
        .isEqualTo("WHATSAPP_ADDRESS");
    OutboxWork ok =
        run(row("whatsapp", "+14155550123", "whatsapp:" + FROM, "x", null, null, null, null));
    assertThat(ok.isDecided()).isFalse();
    assertThat(ok.getTo()).isEqualTo("whatsapp:+14155550123");
  }

  @Test
  void contentSidRules() {
    String sid = "HX" + "0".repeat(32);
    assertThat(
            reason(
                row("whatsapp", "+14155550123", "whatsapp:" + FROM, null, null, null, sid, null)))
        .isNull();
    assertThat(
            reason(
                row("whatsapp", "+14155550123", "whatsapp:" + FROM, null, null, null, "HX1", null)))
        .isEqualTo("CONTENT_SID_INVALID");
    assertThat(reason(row("voice", "+14155550123", FROM, null, null, null, sid, null)))
        .isEqualTo("CONTENT_NOT_ALLOWED");
    assertThat(reason(row("sms", "+14155550123", FROM, "x", null, null, sid, null)))
        .isEqualTo("BODY_CONFLICT");
  }

  @Test
  void templatesMustExistAndGetAllTheirVariables() {
    assertThat(
            reason(
                row(
                    "sms",
                    "+14155550123",
                    FROM,
                    null,
                    "hello",
                    "{\"name\":\"Ana\",\"when\":\"soon\"}",
                    null,
                    null)))
        .isNull();
    OutboxWork w =
        run(
            row(
                "sms",
                "+14155550123",
                FROM,
                null,
                "hello",
                "{\"name\":\"Ana\",\"when\":\"soon\"}",
                null,
                null));
    assertThat(w.getBody()).isEqualTo("Hi Ana, see you soon.");
    assertThat(reason(row("sms", "+14155550123", FROM, null, "nope", "{}", null, null)))
        .isEqualTo("TEMPLATE_UNKNOWN");
    OutboxWork missing =
        run(row("sms", "+14155550123", FROM, null, "hello", "{\"name\":\"A\"}", null, null));
    assertThat(missing.getOutcome().reasonCode()).isEqualTo("TEMPLATE_VARIABLES_MISSING");
    assertThat(missing.getOutcome().reason()).isEqualTo("when");
    assertThat(reason(row("sms", "+14155550123", FROM, null, "hello", "[1]", null, null)))
        .isEqualTo("TEMPLATE_VARIABLES_INVALID");
  }

  @Test
  void mediaUrlsAreLimitedToTenAbsoluteUrlsOnMmsOrWhatsApp() {
    StringBuilder ten = new StringBuilder("[");
    for (int i = 0; i < 10; i++) {
      ten.append(i == 0 ? "" : ",").append("\"https://e.com/").append(i).append("\"");
    }
    String tenUrls = ten + "]";
    String elevenUrls = ten + ",\"https://e.com/x\"]";
    assertThat(reason(row("mms", "+14155550123", FROM, null, null, null, null, tenUrls))).isNull();
    assertThat(reason(row("mms", "+14155550123", FROM, null, null, null, null, elevenUrls)))
        .isEqualTo("MEDIA_TOO_MANY");
    assertThat(reason(row("mms", "+14155550123", FROM, null, null, null, null, "[\"ftp://x\"]")))
        .isEqualTo("MEDIA_URLS_INVALID");
    assertThat(reason(row("sms", "+14155550123", FROM, "x", null, null, null, tenUrls)))
        .isEqualTo("MEDIA_NOT_ALLOWED");
  }

  @Test
  void verifyNeedsAServiceAndNoText() {
    assertThat(reason(row("verify", "+14155550123", null, null, null, null, null, null)))
        .isEqualTo("VERIFY_NOT_CONFIGURED");
    MessageValidator configured =
        new MessageValidator(
            new PhoneRules("US"),
            new Templates(Map.of()),
            name -> java.util.Optional.empty(),
            10,
            "VA" + "1".repeat(32));
    OutboxWork w =
        new OutboxWork(row("verify", "+14155550123", null, null, null, null, null, null));
    configured.validate(w);
    assertThat(w.isDecided()).isFalse();
    OutboxWork text =
        new OutboxWork(row("verify", "+14155550123", null, "x", null, null, null, null));
    configured.validate(text);
    assertThat(text.getOutcome().reasonCode()).isEqualTo("BODY_CONFLICT");
  }

  @Test
  void voiceSpeaksItsBodyAsEscapedTwiml() {
    assertThat(Twiml.say("a < b & \"c\""))
        .isEqualTo("<Response><Say>a &lt; b &amp; &quot;c&quot;</Say></Response>");
    assertThat(
            reason(
                row(
                    "voice",
                    "+14155550123",
                    FROM,
                    "Your appointment is tomorrow",
                    null,
                    null,
                    null,
                    null)))
        .isNull();
  }
}
