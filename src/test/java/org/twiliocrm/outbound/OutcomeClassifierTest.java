package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.twiliocrm.outbound.TwilioCallResult.Kind;

class OutcomeClassifierTest {
  final OutcomeClassifier c =
      new OutcomeClassifier(
          3, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(2));

  static TwilioCallResult rejected(int http, Integer code) {
    return new TwilioCallResult(Kind.REJECTED, null, null, null, http, code, "msg");
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
      assertThat(o.reason()).isEqualTo("msg");
    }
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
                java.time.Instant.now()));
    r.reconcile(w);
    assertThat(w.getOutcome().status()).isEqualTo("FAILED");
    assertThat(w.getOutcome().reasonCode()).isEqualTo("AMBIGUOUS_NOT_RESENT");
    assertThat(w.getAttempts()).extracting(Attempt::outcome).containsExactly("NOT_RESENT");
  }
}
