package org.twiliocrm.outbound;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.governance.Audit;

/**
 * Rows held until a time (QUIET_HOURS, FREQUENCY_CAP): written HELD with send_after at the time
 * they may go, and released by {@link #releaseDue} with ONE statement for all due rows (index
 * outbox_message_timed_hold_idx), run every poll interval by {@link RecipientRuntime}. No per-row
 * timer or poll: a million held rows cost the same tick as one. A released row returns to the
 * status it was claimed from (PENDING or RETRY) and passes every check again when claimed.
 */
public final class TimedHolds {
  /** The reason codes this class holds and releases; approval holds are released by a human. */
  public static final String CODES = "('QUIET_HOURS', 'FREQUENCY_CAP')";

  private final DataSource dataSource;
  private final Vendor vendor;

  public TimedHolds(DataSource dataSource, Vendor vendor) {
    this.dataSource = dataSource;
    this.vendor = vendor;
  }

  /** Writes the HELD rows of {@code decided} in the caller's transaction, under the lease. */
  static void hold(Connection c, Vendor vendor, String owner, List<RecipientBatch.Item> decided)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE outbox_message SET status = 'HELD', reason_code = ?, reason = ?,"
                + " send_after = ?, held_from = ?, attempts = ?, lease_owner = NULL,"
                + " lease_until = NULL, next_attempt_at = NULL, updated_at = "
                + OutboxStore.now(vendor)
                + " WHERE id = ? AND lease_owner = ?")) {
      int n = 0;
      for (RecipientBatch.Item i : decided) {
        if (!"HELD".equals(i.decision.status())) {
          continue;
        }
        OutboxRow row = i.work.getRow();
        // The claim counted a send attempt that did not happen: give it back.
        int attempts = Math.max(0, row.attempts() - 1);
        ps.setString(1, i.decision.code());
        ps.setString(2, Audit.clip(i.decision.reason(), 1000));
        ps.setTimestamp(3, Timestamp.from(i.decision.until()));
        ps.setString(4, attempts == 0 ? "PENDING" : "RETRY");
        ps.setInt(5, attempts);
        ps.setLong(6, row.id());
        ps.setString(7, owner);
        ps.addBatch();
        n++;
      }
      if (n > 0) {
        ps.executeBatch();
      }
    }
  }

  /**
   * Releases every timed hold whose send_after is at or before {@code now}: one UPDATE. The row's
   * send_after is cleared (its hold is served), so the claim takes it at once. Returns the rows.
   */
  public int releaseDue(Instant now) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE outbox_message SET status = COALESCE(held_from, 'PENDING'),"
                    + " held_from = NULL, send_after = NULL, updated_at = "
                    + OutboxStore.now(vendor)
                    + " WHERE status = 'HELD' AND send_after <= ? AND reason_code IN "
                    + CODES)) {
      ps.setTimestamp(1, Timestamp.from(now));
      return ps.executeUpdate();
    }
  }
}
