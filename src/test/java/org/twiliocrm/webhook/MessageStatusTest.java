package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MessageStatusTest {
  @Test
  void movesForwardOnly() {
    assertThat(MessageStatus.canMove(null, "sent")).isTrue();
    assertThat(MessageStatus.canMove("queued", "sending")).isTrue();
    assertThat(MessageStatus.canMove("sending", "delivered")).isTrue();
    assertThat(MessageStatus.canMove("delivered", "sent")).isFalse();
    assertThat(MessageStatus.canMove("sent", "sending")).isFalse();
    assertThat(MessageStatus.canMove("sent", "sent")).isFalse();
  }

  @Test
  void finalStatesNeverChangeAndReadOnlyFollowsDelivery() {
    assertThat(MessageStatus.canMove("delivered", "read")).isTrue();
    assertThat(MessageStatus.canMove("undelivered", "read")).isFalse();
    assertThat(MessageStatus.canMove("failed", "delivered")).isFalse();
    assertThat(MessageStatus.canMove("delivered", "undelivered")).isFalse();
    assertThat(MessageStatus.canMove("read", "delivered")).isFalse();
  }

  @Test
  void unknownStatusesAreNotApplied() {
    assertThat(MessageStatus.canMove("sent", "exploded")).isFalse();
    assertThat(MessageStatus.known("exploded")).isFalse();
  }

  @Test
  void predecessorsAreTheSqlGuard() {
    assertThat(MessageStatus.predecessors("delivered"))
        .contains("queued", "sending", "sent")
        .doesNotContain("delivered", "failed", "read");
    assertThat(MessageStatus.predecessors("read")).contains("delivered").doesNotContain("failed");
  }

  @Test
  void predecessorsWorkedOutOnceAreExactlyTheStatusesThatMayMove() {
    List<String> all =
        List.of(
            "accepted",
            "scheduled",
            "queued",
            "sending",
            "receiving",
            "sent",
            "partially_delivered",
            "delivered",
            "received",
            "undelivered",
            "failed",
            "canceled",
            "read",
            "initiated",
            "ringing",
            "in-progress",
            "answered",
            "completed",
            "busy",
            "no-answer");
    for (String to : all) {
      List<String> expected =
          all.stream().filter(from -> MessageStatus.canMove(from, to)).sorted().toList();
      assertThat(MessageStatus.predecessors(to)).as(to).isEqualTo(expected);
      assertThat(MessageStatus.predecessors(to.toUpperCase(java.util.Locale.ROOT)))
          .as(to + " in upper case")
          .isEqualTo(expected);
    }
    assertThat(MessageStatus.predecessors("exploded")).isEmpty();
  }

  @Test
  void callStatuses() {
    assertThat(MessageStatus.canMove("ringing", "in-progress")).isTrue();
    assertThat(MessageStatus.canMove("completed", "ringing")).isFalse();
    assertThat(MessageStatus.canMove("in-progress", "completed")).isTrue();
  }
}
