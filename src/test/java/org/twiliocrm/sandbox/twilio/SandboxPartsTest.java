package org.twiliocrm.sandbox.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sandbox's small parts, without a server. */
class SandboxPartsTest {

  @Test
  void formDecodingKeepsPlusAsSpaceButEncodedPlusAsPlusAndRepeatsKeys() {
    Map<String, List<String>> f =
        Wire.decodeForm("To=%2B14155550100&Body=a+b%3Dc&MediaUrl=u1&MediaUrl=u2&Empty=&Flag");
    assertThat(f.get("To")).containsExactly("+14155550100");
    assertThat(f.get("Body")).containsExactly("a b=c");
    assertThat(f.get("MediaUrl")).containsExactly("u1", "u2");
    assertThat(f.get("Empty")).containsExactly("");
    assertThat(f.get("Flag")).containsExactly("");
    assertThat(Wire.decodeForm(Wire.encodeForm(f))).isEqualTo(f);
  }

  @Test
  void stateForgetsTheOldestMessagesBeyondItsMaximum() {
    SandboxState st = new SandboxState(2);
    for (int i = 0; i < 3; i++) {
      st.add(
          new SandboxMessage(
              "SM" + i,
              "AC",
              "+1",
              "+2",
              "b",
              List.of(),
              null,
              null,
              "outbound-api",
              null,
              null,
              "queued"));
    }
    assertThat(st.messages.keySet()).containsExactlyInAnyOrder("SM1", "SM2");
  }

  /** Each handset kept its last 1,000 entries, but a run to many phones kept them all. */
  @Test
  void inboxesKeepTheNewestEntriesOverAllHandsets() {
    SandboxState st = new SandboxState(2);
    int n = SandboxState.MAX_INBOX_ENTRIES + 10;
    for (int i = 0; i < n; i++) {
      st.deliverToInbox("+1415555" + (2000 + i % 8000), Map.of("body", "m" + i));
    }
    long kept = st.inboxes.values().stream().mapToLong(List::size).sum();
    assertThat(kept).isEqualTo(SandboxState.MAX_INBOX_ENTRIES);
    assertThat(st.inbox("+14155552000")).doesNotContain(Map.of("body", "m0"));
    assertThat(st.inbox("+1415555" + (2000 + (n - 1) % 8000)))
        .contains(Map.of("body", "m" + (n - 1)));
  }

  @Test
  void sidsDatesAndMasks() {
    assertThat(Wire.sid("SM")).matches("SM[0-9a-f]{32}");
    assertThat(Wire.rfc2822(java.time.Instant.parse("2023-08-24T05:01:45Z")))
        .isEqualTo("Thu, 24 Aug 2023 05:01:45 +0000");
    assertThat(Wire.mask("+14155550123")).isEqualTo("********0123");
    assertThat(Wire.mask("12")).isEqualTo("****");
  }

  @Test
  void pacerQueuesAtTheSenderRateAndRefusesBeyondTheQueue() {
    TwilioSandboxSettings s =
        TwilioSandboxSettings.from(
            Map.of(
                    "sandbox.twilio.pacing.realistic",
                    "true",
                    "sandbox.twilio.pacing.long-code-mps",
                    "2",
                    "sandbox.twilio.pacing.queue-seconds",
                    "1")
                ::get);
    SenderPacer p = new SenderPacer(s);
    long now = 1_000_000_000L;
    assertThat(p.reserve("+14155550100", now)).isZero();
    assertThat(p.reserve("+14155550100", now)).isEqualTo(500_000_000L);
    assertThat(p.reserve("+14155550100", now)).isEqualTo(1_000_000_000L);
    assertThat(p.reserve("+14155550100", now)).isEqualTo(-1);
    assertThat(p.reserve("+14155550199", now)).isZero(); // own queue
    assertThat(SenderPacer.kindOf("+18005550100")).isEqualTo("toll-free");
    assertThat(SenderPacer.kindOf("12345")).isEqualTo("short-code");
    assertThat(SenderPacer.kindOf("whatsapp:+14155550100")).isEqualTo("whatsapp");
    assertThat(p.rateOf("+18005550100")).isEqualTo(3.0);
    assertThat(p.rateOf("12345")).isEqualTo(100.0);
  }

  @Test
  void outcomeRulesMatchWholeNumbersFirstRuleWins() {
    OutcomeRules r = new OutcomeRules(TwilioSandboxSettings.DEFAULT_OUTCOME_RULES);
    assertThat(r.outcomeFor("+15005553003"))
        .isEqualTo(new OutcomeRules.Outcome("undelivered", 30003));
    assertThat(r.outcomeFor("+150055530031")).isEqualTo(OutcomeRules.Outcome.DELIVERED);
    r.addFirst("\\+15005553003", "failed", 30008);
    assertThat(r.outcomeFor("+15005553003").status()).isEqualTo("failed");
    r.reset();
    assertThat(r.outcomeFor("+15005553003").status()).isEqualTo("undelivered");
    assertThatThrownBy(() -> r.addFirst("(", "failed", 1)).hasMessageContaining("bad pattern");
  }

  @Test
  void faultsPatchValidatesNamesAndRanges() {
    Faults f = Faults.NONE.with(Map.of("error503Rate", 0.5, "latencyMillis", 20));
    assertThat(f.error503Rate()).isEqualTo(0.5);
    assertThat(f.latency()).isEqualTo(20);
    assertThat(f.any()).isTrue();
    assertThat(Faults.NONE.any()).isFalse();
    assertThatThrownBy(() -> Faults.NONE.with(Map.of("nope", 1)))
        .hasMessageContaining("unknown fault");
    assertThatThrownBy(() -> Faults.NONE.with(Map.of("resetRate", -0.1)))
        .hasMessageContaining("resetRate");
    assertThat(Faults.roll(0)).isFalse();
    assertThat(Faults.roll(1)).isTrue();
  }

  @Test
  void latencyIsTheFixedPartPlusAtMostTheJitter() {
    Faults f = Faults.NONE.with(Map.of("latencyMillis", 300, "jitterMillis", 100));
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      int ms = f.latency();
      assertThat(ms).isBetween(300, 400);
      seen.add(ms);
    }
    // the jitter really varies (2,000 draws from 101 values)
    assertThat(seen.size()).isGreaterThan(50);
    assertThat(Faults.NONE.latency()).isZero();
  }

  @Test
  void twimlIsParsedSafely() {
    List<Twiml.Verb> verbs =
        Twiml.parse("<Response><Message><Body>Hi</Body></Message><Say>x</Say></Response>");
    assertThat(verbs).extracting(Twiml.Verb::name).containsExactly("Message", "Say");
    assertThat(Twiml.messageBody(verbs.get(0))).isEqualTo("Hi");
    assertThatThrownBy(
            () ->
                Twiml.parse(
                    "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Response>&e;</Response>"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Twiml.parse("<Other/>")).hasMessageContaining("<Response>");
  }

  @Test
  void statusCallbackParametersFollowTwilio() {
    SandboxMessage m =
        new SandboxMessage(
            "SM" + "a".repeat(32),
            "AC" + "0".repeat(32),
            "+15005550006",
            "+14155550100",
            "hi",
            List.of(),
            "MG" + "1".repeat(32),
            "http://x",
            "outbound-api",
            null,
            null,
            "accepted");
    Map<String, List<String>> p = Messages.callbackParams(m, "undelivered", 30003);
    assertThat(p.keySet())
        .contains(
            "MessageSid",
            "MessageStatus",
            "SmsSid",
            "SmsStatus",
            "AccountSid",
            "From",
            "To",
            "ApiVersion",
            "MessagingServiceSid",
            "ErrorCode",
            "RawDlrDoneDate");
    assertThat(p.get("RawDlrDoneDate").get(0)).matches("\\d{10}");
    assertThat(Messages.callbackParams(m, "sent", null).keySet())
        .doesNotContain("ErrorCode", "RawDlrDoneDate");
  }
}
