package org.twiliocrm.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether PostgreSQL's autovacuum looks after the connector's tables. The outbox, message_state and
 * webhook_event rows are updated several times per message (each update leaves a dead row version
 * and, where an indexed column changes, new index entries), so without VACUUM they grow without
 * bound, and without ANALYZE the planner keeps the statistics of an empty table. Measured on a
 * server with autovacuum off (docs/performance.md, fifth round): after 10,000 messages the outbox
 * held 50,000 dead row versions beside 10,000 live ones, and the status processor's look-up of 200
 * messages by SID ran as a sequential scan (21 ms) where the index takes 2.5 ms once analysed.
 */
public final class PostgresMaintenance {
  private PostgresMaintenance() {}

  /** What to do about {@link #problems}. */
  public static final String FIX =
      "turn autovacuum on (the PostgreSQL default: autovacuum = on and track_counts = on in"
          + " postgresql.conf, then SELECT pg_reload_conf()) and leave autovacuum_enabled unset on"
          + " the connector's tables";

  /** The reasons autovacuum does not keep the connector's tables; empty when it does. */
  public static List<String> problems(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    if ("off".equalsIgnoreCase(CommitDurability.value(c, "SHOW autovacuum"))) {
      out.add("autovacuum is off on the server");
    }
    if ("off".equalsIgnoreCase(CommitDurability.value(c, "SHOW track_counts"))) {
      out.add("track_counts is off on the server (autovacuum needs it)");
    }
    List<String> tables = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT t.relname FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace"
                    + " WHERE n.nspname = current_schema() AND t.relkind = 'r' AND EXISTS (SELECT"
                    + " 1 FROM unnest(t.reloptions) o WHERE lower(o) IN"
                    + " ('autovacuum_enabled=false', 'autovacuum_enabled=off',"
                    + " 'autovacuum_enabled=0', 'autovacuum_enabled=no')) ORDER BY t.relname")) {
      while (rs.next()) {
        tables.add(rs.getString(1));
      }
    }
    if (!tables.isEmpty()) {
      out.add("autovacuum_enabled=false on " + String.join(", ", tables));
    }
    return out;
  }
}
