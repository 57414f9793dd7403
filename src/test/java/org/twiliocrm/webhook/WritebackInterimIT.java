package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The write-back's interim delay (webhook.crm.writeback.interim-delay-millis) on each supported
 * database: a record whose status is still interim (queued, sent, a call ringing) is left for its
 * final status for up to the delay, so a message usually costs one Salesforce write instead of one
 * per status; a final status is due at once, an interim one once it has waited the delay, and with
 * no delay every status is due at once as before.
 */
class WritebackInterimIT {

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void interimStatusesWaitForTheFinalOneFinalStatusesGoAtOnce(TestDatabase.Kind kind)
      throws Exception {
    try (TestDatabase tdb = TestDatabase.of(kind, "wb_interim");
        Database db = tdb.open(4)) {
      Instant now = Instant.now();
      insert(db, "SMsentnow", "sent", now.minusMillis(100));
      insert(db, "SMqueuednow", "queued", now.minusMillis(90));
      insert(db, "CAringingnow", "ringing", now.minusMillis(80));
      insert(db, "SMdeliverednow", "delivered", now.minusMillis(70));
      insert(db, "SMfailednow", "failed", now.minusMillis(60));
      insert(db, "CAcompletednow", "completed", now.minusMillis(50));
      insert(db, "SMsentlongago", "sent", now.minusSeconds(30));

      MessageStateStore waiting = new MessageStateStore(db.dataSource(), Duration.ofSeconds(10));
      List<String> due =
          List.of("SMsentlongago", "SMdeliverednow", "SMfailednow", "CAcompletednow");
      List<MessageStateStore.Dirty> rows = waiting.dirty(100);
      assertThat(sids(rows)).containsExactlyElementsOf(due);
      // How long each has been due, which the write-back's coalescing counts from: an interim
      // status from when its wait ran out, a final one from when it arrived.
      assertThat(waiting.dueSince(rows.get(0)))
          .isEqualTo(rows.get(0).dirtySince().toInstant().plusSeconds(10));
      assertThat(waiting.dueSince(rows.get(1))).isEqualTo(rows.get(1).updatedAt().toInstant());
      assertThat(waiting.dueTimes(100))
          .as("the look before a claim")
          .containsExactlyElementsOf(rows.stream().map(waiting::dueSince).toList());
      assertThat(waiting.behind()).as("the backlog counts the waiting rows too").isEqualTo(7);

      // The claim takes the same rows; the interim ones are left unleased for later.
      assertThat(sids(waiting.claimDirty("replica-a", 100, Duration.ofMinutes(2))))
          .containsExactlyElementsOf(due);
      assertThat(waiting.dirty(100)).isEmpty();

      // The final status arrives: the record is due at once, with it.
      tdb.exec(
          "UPDATE message_state SET status = 'delivered', crm_version = crm_version + 1"
              + " WHERE message_sid = ?",
          "SMsentnow");
      assertThat(sids(waiting.claimDirty("replica-a", 100, Duration.ofMinutes(2))))
          .containsExactly("SMsentnow");

      // Without a delay every status goes at once, as before the setting.
      MessageStateStore eager = new MessageStateStore(db.dataSource(), Duration.ZERO);
      assertThat(sids(eager.dirty(100))).containsExactly("SMqueuednow", "CAringingnow");
    }
  }

  @Test
  void theInterimStatusesAreThoseBeforeAFinalOne() {
    assertThat(MessageStatus.interim())
        .containsExactly(
            "accepted",
            "answered",
            "in-progress",
            "initiated",
            "queued",
            "receiving",
            "ringing",
            "scheduled",
            "sending",
            "sent");
    for (String s : MessageStatus.interim()) {
      assertThat(MessageStatus.isFinal(s)).as(s).isFalse();
    }
    assertThat(MessageStatus.interim())
        .doesNotContain("delivered", "undelivered", "failed", "read", "received", "completed");
  }

  private static void insert(Database db, String sid, String status, Instant dirtySince)
      throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement p =
            c.prepareStatement(
                "INSERT INTO message_state (message_sid, direction, status, created_at,"
                    + " updated_at, crm_version, crm_dirty_since) VALUES (?, ?, ?, ?, ?, 1, ?)")) {
      Timestamp t = Timestamp.from(dirtySince);
      p.setString(1, sid);
      p.setString(2, sid.startsWith("CA") ? "call" : "outbound");
      p.setString(3, status);
      p.setTimestamp(4, t);
      p.setTimestamp(5, t);
      p.setTimestamp(6, t);
      p.executeUpdate();
    }
  }

  private static List<String> sids(List<MessageStateStore.Dirty> rows) {
    return rows.stream().map(MessageStateStore.Dirty::sid).toList();
  }
}
