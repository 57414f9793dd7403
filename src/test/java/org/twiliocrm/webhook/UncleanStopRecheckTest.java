package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which applied events the check after an unclean H2 stop applies again (UncleanStopRecheck). */
class UncleanStopRecheckTest {

  @Test
  void aStatusIsAppliedAgainOnlyWhenItWouldStillMoveTheMessageOrItsOutboxRow() {
    // Its change is missing: no row, or a row it would still move forward.
    assertThat(UncleanStopRecheck.notApplied("message-status", "delivered", null, null)).isTrue();
    assertThat(UncleanStopRecheck.notApplied("message-status", "delivered", "sent", "sent"))
        .isTrue();
    assertThat(UncleanStopRecheck.notApplied("message-status", "delivered", "delivered", "sent"))
        .as("the outbox row lost it")
        .isTrue();
    // In place, or never meant to move anything (late, final, unknown): left alone.
    assertThat(UncleanStopRecheck.notApplied("message-status", "delivered", "delivered", null))
        .isFalse();
    assertThat(UncleanStopRecheck.notApplied("message-status", "sent", "delivered", "delivered"))
        .isFalse();
    assertThat(UncleanStopRecheck.notApplied("message-status", "delivered", "undelivered", null))
        .isFalse();
    assertThat(UncleanStopRecheck.notApplied("message-status", "bogus", null, null)).isFalse();
  }

  @Test
  void aCallStatusLooksAtTheCallsStateOnlyAndAnInboundMessageAtWhetherItIsKnown() {
    assertThat(UncleanStopRecheck.notApplied("call-status", "completed", "ringing", "queued"))
        .isTrue();
    assertThat(UncleanStopRecheck.notApplied("call-status", "completed", "completed", "queued"))
        .as("a call's outbox status is not compared")
        .isFalse();
    assertThat(UncleanStopRecheck.notApplied("inbound", null, null, null)).isTrue();
    assertThat(UncleanStopRecheck.notApplied("inbound", null, "received", null)).isFalse();
  }
}
