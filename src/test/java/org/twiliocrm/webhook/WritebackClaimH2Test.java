package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The write-back's claim on the embedded default database reads the dirty rows, not the table. H2
 * answered the single locking select ({@code due ORDER BY crm_dirty_since LIMIT n FOR UPDATE SKIP
 * LOCKED}) by reading and testing every row of message_state: at 100,000 messages each claim took 5
 * s, and the write-back fell to a few dozen records a second behind the statuses.
 */
class WritebackClaimH2Test {
  private static final int CLEAN = 5_000;
  private static final int DIRTY = 30;
  private static final Pattern SCAN = Pattern.compile("scanCount: (\\d+)");

  @Test
  void theClaimReadsTheDirtyRowsThroughTheIndexAndLocksThemByKey() throws Exception {
    try (TestDatabase tdb = TestDatabase.h2("wb_claim_plan");
        Database db = tdb.open(2)) {
      Timestamp then = Timestamp.from(Instant.now().minusSeconds(60));
      try (Connection c = db.dataSource().getConnection();
          PreparedStatement p =
              c.prepareStatement(
                  "INSERT INTO message_state (message_sid, direction, status, created_at,"
                      + " updated_at, crm_version, crm_synced_version, crm_dirty_since) VALUES"
                      + " (?, 'outbound', 'delivered', ?, ?, ?, 1, ?)")) {
        for (int i = 0; i < CLEAN + DIRTY; i++) {
          boolean dirty = i >= CLEAN;
          p.setString(1, "SM" + String.format("%032x", i));
          p.setTimestamp(2, then);
          p.setTimestamp(3, then);
          p.setInt(4, dirty ? 2 : 1);
          p.setTimestamp(5, dirty ? then : null);
          p.addBatch();
        }
        p.executeBatch();

        Timestamp now = Timestamp.from(Instant.now());
        String candidates;
        try (PreparedStatement e =
            c.prepareStatement("EXPLAIN ANALYZE " + MessageStateStore.CLAIM_CANDIDATES)) {
          e.setTimestamp(1, now);
          e.setTimestamp(2, now);
          e.setTimestamp(3, now);
          e.setInt(4, 20);
          candidates = first(e);
        }
        assertThat(candidates).contains("MESSAGE_STATE_DIRTY_IDX: CRM_DIRTY_SINCE >");
        assertThat(scanned(candidates))
            .as("index entries read for 20 of %d dirty rows among %d clean", DIRTY, CLEAN)
            .isLessThanOrEqualTo(DIRTY + 1);

        String lock;
        try (PreparedStatement e =
            c.prepareStatement("EXPLAIN ANALYZE " + MessageStateStore.claimLock(2))) {
          e.setString(1, "SM" + String.format("%032x", CLEAN));
          e.setString(2, "SM" + String.format("%032x", CLEAN + 1));
          e.setTimestamp(3, now);
          e.setTimestamp(4, now);
          e.setTimestamp(5, now);
          e.setInt(6, 2);
          lock = first(e);
        }
        assertThat(lock).contains("PRIMARY_KEY").contains("MESSAGE_SID IN(");
        assertThat(scanned(lock)).as("rows read to lock 2 candidates").isLessThanOrEqualTo(3);
      }

      // The backlog count (the gauge, the console's lag) reads the dirty rows only, too.
      String count;
      try (Connection c = db.dataSource().getConnection();
          PreparedStatement e =
              c.prepareStatement(
                  "EXPLAIN ANALYZE SELECT COUNT(*) FROM message_state WHERE "
                      + MessageStateStore.DIRTY_RANGE
                      + " AND crm_version > crm_synced_version")) {
        count = first(e);
      }
      assertThat(count).contains("MESSAGE_STATE_DIRTY_IDX: CRM_DIRTY_SINCE >");
      assertThat(scanned(count)).isLessThanOrEqualTo(DIRTY + 1);
      assertThat(new MessageStateStore(db.dataSource()).behind()).isEqualTo(DIRTY);

      // And the claim itself takes the dirty rows, oldest first, as many as asked.
      MessageStateStore states = new MessageStateStore(db.dataSource());
      assertThat(states.claimDirty("a", 20, Duration.ofMinutes(1))).hasSize(20);
      assertThat(states.claimDirty("b", 20, Duration.ofMinutes(1))).hasSize(DIRTY - 20);
      assertThat(states.claimDirty("c", 20, Duration.ofMinutes(1))).isEmpty();
    }
  }

  private static String first(PreparedStatement e) throws Exception {
    try (ResultSet rs = e.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static int scanned(String plan) {
    Matcher m = SCAN.matcher(plan);
    assertThat(m.find()).as("scanCount in %s", plan).isTrue();
    return Integer.parseInt(m.group(1));
  }
}
