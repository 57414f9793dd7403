package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.twiliocrm.governance.Channel;
import org.twiliocrm.outbound.TwilioCallResult.Kind;

class OutcomeClassifierTest {
  final OutcomeClassifier c =
      new OutcomeClassifier(
          3, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(2));

  static TwilioCallResult rejected(int http, Integer code) {
    return new TwilioCallResult(Kind.REJECTED, null, null, null, http, code, "msg");
  }

  @Test
  void meaningNamesCreateAndDeliveryCodesAndNothingForAnUnknownOne() {
    assertThat(OutcomeClassifier.meaning(21211))
        .hasValueSatisfying(m -> assertThat(m).contains("not a valid phone number"));
    assertThat(OutcomeClassifier.meaning(30007))
        .hasValueSatisfying(m -> assertThat(m).contains("filtered"));
    assertThat(OutcomeClassifier.meaning(12345)).isEmpty();
    // Only a failure that created nothing at Twilio may be retried by an operator.
    assertThat(OutcomeClassifier.TRANSIENT_FAILURES).containsExactly("RETRIES_EXHAUSTED");
  }

  @Test
  void acceptedIsSentWithSidStatusAndSegments() {
    Outcome o = c.decide(TwilioCallResult.accepted("SM1", "queued", 2), 1, 1);
    assertThat(o).isEqualTo(Outcome.sent("SM1", "queued", 2, null));
  }

  @Test
  void permanentCodesFailWithCodeAndMessage() {
    for (int code : List.of(21211, 21610, 21612, 21614, 21408, 20003)) {
      Outcome o = c.decide(rejected(code == 20003 ? 401 : 400, code), 1, null);
      assertThat(o.status()).isEqualTo("FAILED");
      assertThat(o.errorCode()).isEqualTo(code);
      assertThat(o.reason()).endsWith("(Twilio " + code + ": msg)");
    }
  }

  /** Every known code, and every code the sandbox's magic numbers answer, is classified. */
  @Test
  void eachKnownCodeIsPermanentOrTransientWithAReadableReason() {
    Map<Integer, String> expected =
        Map.ofEntries(
            Map.entry(20429, "RETRY"),
            Map.entry(21611, "RETRY"),
            Map.entry(20003, "FAILED"),
            Map.entry(21210, "FAILED"),
            Map.entry(21211, "FAILED"),
            Map.entry(21212, "FAILED"),
            Map.entry(21214, "FAILED"),
            Map.entry(21215, "FAILED"),
            Map.entry(21216, "FAILED"),
            Map.entry(21217, "FAILED"),
            Map.entry(21408, "FAILED"),
            Map.entry(21606, "FAILED"),
            Map.entry(21610, "FAILED"),
            Map.entry(21612, "FAILED"),
            Map.entry(21614, "FAILED"),
            Map.entry(21617, "FAILED"),
            Map.entry(21701, "FAILED"),
            Map.entry(21705, "FAILED"),
            Map.entry(21910, "FAILED"),
            Map.entry(63007, "FAILED"));
    assertThat(OutcomeClassifier.CODES.keySet()).isEqualTo(expected.keySet());
    for (org.twiliocrm.sandbox.twilio.MagicNumbers.Entry e :
        org.twiliocrm.sandbox.twilio.MagicNumbers.TABLE) {
      if (e.code() != null) {
        assertThat(OutcomeClassifier.CODES).as("magic " + e).containsKey(e.code());
      }
    }
    expected.forEach(
        (code, status) -> {
          int http = code == 20003 ? 401 : code == 20429 ? 429 : 400;
          Outcome o =
              c.decide(
                  new TwilioCallResult(Kind.REJECTED, null, null, null, http, code, "Twilio says"),
                  1,
                  null);
          assertThat(o.status()).as("code " + code).isEqualTo(status);
          assertThat(o.errorCode()).isEqualTo(code);
          assertThat(o.reason())
              .as("code " + code)
              .startsWith(OutcomeClassifier.CODES.get(code).meaning())
              .endsWith("(Twilio " + code + ": Twilio says)");
        });
    Outcome notOwned = c.decide(rejected(400, 21606), 1, null);
    assertThat(notOwned.reasonCode()).isEqualTo("TWILIO_REJECTED");
    assertThat(notOwned.reason()).contains("not a number this Twilio account owns");
    // A queue-full sender is retried (nothing was created), then given up with the reason.
    Outcome full = c.decide(rejected(400, 21611), 3, null);
    assertThat(full.status()).isEqualTo("FAILED");
    assertThat(full.reasonCode()).isEqualTo("RETRIES_EXHAUSTED");
    assertThat(full.reason()).contains("queue at Twilio is full");
  }

  @Test
  void anUnknownCodeIsPermanentWithTwiliosOwnMessage() {
    Outcome o = c.decide(rejected(400, 29999), 1, null);
    assertThat(o.status()).isEqualTo("FAILED");
    assertThat(o.reason()).isEqualTo("Twilio refused the request (HTTP 400, code 29999): msg");
  }

  @Test
  void transientFailuresRetryWithGrowingJitteredBackoffThenFail() {
    for (TwilioCallResult r :
        List.of(
            rejected(429, 20429),
            rejected(503, 20503),
            rejected(400, 21611),
            new TwilioCallResult(Kind.NOT_SENT, null, null, null, null, null, "refused"))) {
      Outcome first = c.decide(r, 1, null);
      assertThat(first.status()).isEqualTo("RETRY");
      assertThat(first.delayMillis()).isBetween(500L, 1000L);
      assertThat(c.decide(r, 2, null).delayMillis()).isBetween(1000L, 2000L);
      Outcome last = c.decide(r, 3, null);
      assertThat(last.status()).isEqualTo("FAILED");
      assertThat(last.reasonCode()).isEqualTo("RETRIES_EXHAUSTED");
    }
    assertThat(c.backoffMillis(30)).isBetween(15_000L, 30_000L);
  }

  @Test
  void ambiguousOutcomesGoToReconciliationNeverToARetry() {
    for (TwilioCallResult r :
        List.of(
            rejected(500, 20500),
            rejected(502, null),
            rejected(504, null),
            new TwilioCallResult(Kind.UNKNOWN, null, null, null, null, null, "Read timed out"))) {
      Outcome o = c.decide(r, 1, null);
      assertThat(o.status()).isEqualTo("RECONCILE");
      assertThat(o.delayMillis()).isEqualTo(2000);
      // Even on the last attempt: an ambiguous send is looked up, not retried or dropped.
      assertThat(c.decide(r, 3, null).status()).isEqualTo("RECONCILE");
    }
  }

  @Test
  void connectFailuresAreTellingApartFromReadTimeouts() {
    assertThat(TwilioActions.isConnectFailure(new java.net.ConnectException("refused"))).isTrue();
    assertThat(
            TwilioActions.isConnectFailure(new java.net.SocketTimeoutException("Read timed out")))
        .isFalse();
    assertThat(
            TwilioActions.failure(
                    new com.twilio.exception.ApiException(
                        "x", new java.net.ConnectException("refused")))
                .kind())
        .isEqualTo(Kind.NOT_SENT);
    assertThat(
            TwilioActions.failure(
                    new com.twilio.exception.ApiException(
                        "x", new java.net.SocketTimeoutException("Read timed out")))
                .kind())
        .isEqualTo(Kind.UNKNOWN);
  }

  @Test
  void verifyIsNeverResentAfterAnAmbiguousOutcome() {
    Reconciler r =
        new Reconciler(
            null, Map.of(Channel.VERIFY, ReconcilePolicy.NEVER_RESEND), Duration.ofMinutes(10));
    OutboxWork w =
        new OutboxWork(
            new OutboxRow(
                7,
                "k",
                Channel.VERIFY,
                "+14155550123",
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                "RECONCILING",
                1,
                "me",
                java.time.Instant.now(),
                java.time.Instant.now(),
                null,
                OutboxRow.Gov.NONE,
                null,
                null));
    r.reconcile(w);
    assertThat(w.getOutcome().status()).isEqualTo("FAILED");
    assertThat(w.getOutcome().reasonCode()).isEqualTo("AMBIGUOUS_NOT_RESENT");
    assertThat(w.getAttempts()).extracting(Attempt::outcome).containsExactly("NOT_RESENT");
  }
}
