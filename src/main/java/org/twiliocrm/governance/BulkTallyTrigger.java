package org.twiliocrm.governance;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Objects;
import org.h2.api.Trigger;

/**
 * H2's half of outbox_bulk_tally (PostgreSQL and MariaDB keep it with SQL triggers, see
 * V98__outbox_bulk_tally.sql): every insert, delete, or edit of a row's campaign, template or
 * created_at moves the per-minute count the bulk rules read, in the writer's transaction. Rows
 * written under the session's own slot, so concurrent writers never touch the same tally row.
 */
public final class BulkTallyTrigger implements Trigger {
  private static final String MERGE =
      "MERGE INTO outbox_bulk_tally t USING (VALUES (CAST(? AS CHAR(1)), CAST(? AS VARCHAR(100)),"
          + " CAST(? AS TIMESTAMP(6) WITH TIME ZONE), CAST(SESSION_ID() AS BIGINT),"
          + " CAST(? AS BIGINT))) s(kind, bulk_key, bucket, slot, n)"
          + " ON t.kind = s.kind AND t.bulk_key = s.bulk_key AND t.bucket = s.bucket"
          + " AND t.slot = s.slot"
          + " WHEN MATCHED THEN UPDATE SET n = t.n + s.n"
          + " WHEN NOT MATCHED THEN INSERT (kind, bulk_key, bucket, slot, n)"
          + " VALUES (s.kind, s.bulk_key, s.bucket, s.slot, s.n)";

  private int campaign = -1;
  private int template = -1;
  private int created = -1;

  @Override
  public void init(
      Connection conn,
      String schemaName,
      String triggerName,
      String tableName,
      boolean before,
      int type)
      throws SQLException {
    try (ResultSet rs = conn.getMetaData().getColumns(null, schemaName, tableName, null)) {
      while (rs.next()) {
        int i = rs.getInt("ORDINAL_POSITION") - 1;
        switch (rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT)) {
          case "campaign" -> campaign = i;
          case "template_name" -> template = i;
          case "created_at" -> created = i;
          default -> {}
        }
      }
    }
    if (campaign < 0 || template < 0 || created < 0) {
      throw new SQLException("outbox_bulk_tally: " + tableName + " lacks its bulk columns");
    }
  }

  @Override
  public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
    if (oldRow != null
        && newRow != null
        && Objects.equals(oldRow[campaign], newRow[campaign])
        && Objects.equals(oldRow[template], newRow[template])
        && Objects.equals(oldRow[created], newRow[created])) {
      return; // a claim or status update: nothing the count reads changed
    }
    try (PreparedStatement ps = conn.prepareStatement(MERGE)) {
      if (oldRow != null) {
        add(ps, oldRow, -1);
      }
      if (newRow != null) {
        add(ps, newRow, 1);
      }
      ps.executeBatch();
    }
  }

  private void add(PreparedStatement ps, Object[] row, long d) throws SQLException {
    OffsetDateTime at = (OffsetDateTime) row[created];
    OffsetDateTime bucket = at.truncatedTo(ChronoUnit.MINUTES);
    String[][] keys = {{"c", (String) row[campaign]}, {"t", (String) row[template]}};
    for (String[] k : keys) {
      if (k[1] != null) {
        ps.setString(1, k[0]);
        ps.setString(2, k[1]);
        ps.setObject(3, bucket);
        ps.setLong(4, d);
        ps.addBatch();
      }
    }
  }
}
