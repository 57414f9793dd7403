package org.twiliocrm.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, and rebuilds where needed, the indexes of an H2 file that the last process to hold it
 * left without closing it (killed, crashed, or the machine lost power).
 *
 * <p>Why: H2 (2.5.252, and 2.4.240 too) can come back from such a stop with secondary indexes that
 * no longer match their table. {@code bench/run h2-kill} kills a process writing the connector's
 * schema at random moments; in 15 of 239 cycles on 2.5.252 (1 of 70 on 2.4.240) the reopened file
 * was damaged: an index missing rows that the table has (in one, 18 outbox rows invisible to the
 * claim query, 3 of them PENDING and so never to be sent), or holding an entry for a row that is
 * gone, or a transaction partly applied. Every acknowledged insert was there in the table. The rows
 * an index misses belonged to a transaction that was committing when the process died, and H2 had
 * written part of that commit and rolled the rest back; docs/durability.md has the details. A plain
 * SQL query cannot tell: it reads through the damaged index.
 *
 * <p>So, on an H2 file this process owns (not as an AUTO_SERVER client), {@link #open} notes the
 * process in {@code connector_h2_open}, and {@link #closed} removes the note at a clean close.
 * Another process's note found at start means that process did not close the file: every index is
 * then counted through an index-ordered scan and compared with the table, and an index that
 * disagrees is dropped and created again from its definition (H2 has no REINDEX). A key
 * constraint's index is rebuilt only after its key was found unique in the table's rows; otherwise
 * start-up fails with the table and key named, since the connector's upserts and idempotency depend
 * on those keys.
 *
 * <p>Not repaired, because nothing can tell it apart afterwards: the partly applied transaction
 * itself. Its rows show some of its changes. The connector only ever loses that way work that was
 * in flight and not yet acknowledged. Most flows absorb it (a claim left partly SENDING is
 * reconciled); a batch of webhook events partly applied is looked for at the connector's start
 * (UncleanStopRecheck, run by the app): docs/durability.md says which flows it touches.
 */
final class H2Recovery {
  private static final Logger LOG = LoggerFactory.getLogger(H2Recovery.class);

  /** A row per process that owns the file, removed at its clean close. */
  static final String MARKER_TABLE = "CONNECTOR_H2_OPEN";

  /** This JVM: its pid and start time, so a pid the system reused is not taken for it. */
  private static final String ME =
      ProcessHandle.current().pid()
          + "@"
          + ProcessHandle.current().info().startInstant().map(Object::toString).orElse("?");

  private H2Recovery() {}

  /** What {@link #open} found and did. */
  record Report(
      boolean uncleanStop,
      int checked,
      List<String> unchecked,
      List<String> rebuilt,
      long millis) {}

  /**
   * Whether {@code c} is a session of the process that has the file open (H2's embedded engine),
   * not a client of another process's AUTO_SERVER.
   */
  static boolean ownsFile(Connection c) throws SQLException {
    org.h2.jdbc.JdbcConnection h2 = c.unwrap(org.h2.jdbc.JdbcConnection.class);
    return h2.getSession() instanceof org.h2.engine.SessionLocal;
  }

  /**
   * At start, before the migration, on a connection to an H2 file this process owns: checks and
   * repairs the indexes if another process that owned the file did not close it. Throws {@link
   * IllegalStateException} with a readable message when a key cannot be rebuilt.
   */
  static Report open(Connection c, String displayUrl) throws SQLException {
    long start = System.nanoTime();
    boolean unclean;
    if (tableExists(c, MARKER_TABLE)) {
      // Another Database of this same process (tests open several) is not a stop.
      try (PreparedStatement ps =
          c.prepareStatement("SELECT COUNT(*) FROM " + MARKER_TABLE + " WHERE owner <> ?")) {
        ps.setString(1, ME);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          unclean = rs.getLong(1) > 0;
        }
      }
    } else {
      // A file from before this check: its last stop is unknown, so it is checked once. A new,
      // empty file has nothing to check.
      unclean = tableExists(c, "connector_schema_history");
    }
    List<String> rebuilt = new ArrayList<>();
    List<String> unchecked = new ArrayList<>();
    int checked = 0;
    if (unclean) {
      LOG.warn(
          "Database {}: the last process to open it did not close it; checking its indexes",
          displayUrl);
      Map<String, Object[]> tables = new java.util.HashMap<>();
      Map<IndexDef, Boolean> results = new LinkedHashMap<>();
      java.util.Set<String> damaged = new java.util.TreeSet<>();
      for (IndexDef index : indexes(c)) {
        Boolean matches = matches(c, index, tables);
        results.put(index, matches);
        if (matches != null) {
          checked++;
        }
        if (Boolean.FALSE.equals(matches)) {
          damaged.add(index.table);
        }
      }
      for (Map.Entry<IndexDef, Boolean> r : results.entrySet()) {
        // H2 reads another index for this order (a unique key beside a foreign key's index on
        // the same column), so this one cannot be compared. On an undamaged table it is left
        // alone: on a file H2 damaged further, DDL can make H2 close the database (seen in the
        // bench), and the connector would then not start at all.
        if (r.getValue() == null && !damaged.contains(r.getKey().table)) {
          unchecked.add(r.getKey().table + "." + r.getKey().name);
        }
      }
      for (String table : damaged) {
        // Every index of the table that disagrees, and those that cannot be compared: the torn
        // transaction touched them all, and a foreign key re-added may take over another index
        // on its columns.
        List<IndexDef> suspects = new ArrayList<>();
        for (Map.Entry<IndexDef, Boolean> r : results.entrySet()) {
          if (r.getKey().table.equals(table) && !Boolean.TRUE.equals(r.getValue())) {
            suspects.add(r.getKey());
          }
        }
        try {
          rebuildTable(c, table, suspects);
        } catch (SQLException e) {
          throw new IllegalStateException(
              "table "
                  + table
                  + "'s indexes no longer match it (the last process to open the file died), and"
                  + " H2 failed to rebuild them: "
                  + Database.rootMessage(e)
                  + ". Restore the file from a backup, or export what it holds with H2's Recover"
                  + " tool (java -cp <the jar> org.h2.tools.Recover) and start on a new file",
              e);
        }
        tables.remove(table);
        for (IndexDef now : indexes(c)) {
          if (now.table.equals(table) && Boolean.FALSE.equals(matches(c, now, tables))) {
            throw new IllegalStateException(
                "index "
                    + now.name
                    + " of table "
                    + table
                    + " still disagrees with its table after it was rebuilt");
          }
        }
        for (IndexDef i : suspects) {
          rebuilt.add(i.table + "." + i.name);
        }
      }
    }
    Report report =
        new Report(
            unclean,
            checked,
            List.copyOf(unchecked),
            List.copyOf(rebuilt),
            (System.nanoTime() - start) / 1_000_000);
    if (!unchecked.isEmpty()) {
      LOG.info(
          "Database {}: {} index(es) H2 does not read in their own order were not checked: {}",
          displayUrl,
          unchecked.size(),
          unchecked);
    }
    if (unclean) {
      if (rebuilt.isEmpty()) {
        LOG.info(
            "Database {}: {} index(es) checked in {} ms, all match their tables",
            displayUrl,
            checked,
            report.millis());
      } else {
        LOG.warn(
            "Database {}: {} index(es) checked in {} ms; {} no longer matched their table and were"
                + " rebuilt: {}",
            displayUrl,
            checked,
            report.millis(),
            rebuilt.size(),
            rebuilt);
      }
    }
    return report;
  }

  /**
   * After the schema is migrated (so that a new file's first table is Flyway's): notes this process
   * as the file's owner, in place of the notes of processes that did not close it.
   */
  static void markOpen(Connection c, boolean uncleanStop) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + MARKER_TABLE
              + " (owner VARCHAR(200) PRIMARY KEY, opened_at TIMESTAMP WITH TIME ZONE NOT NULL)");
    }
    try (PreparedStatement del =
            c.prepareStatement(
                uncleanStop
                    ? "DELETE FROM " + MARKER_TABLE
                    : "DELETE FROM " + MARKER_TABLE + " WHERE owner = ?");
        PreparedStatement ins =
            c.prepareStatement(
                "INSERT INTO "
                    + MARKER_TABLE
                    + " (owner, opened_at) VALUES (?, CURRENT_TIMESTAMP)")) {
      if (!uncleanStop) {
        del.setString(1, ME);
      }
      del.executeUpdate();
      ins.setString(1, ME);
      ins.executeUpdate();
    }
    if (!c.getAutoCommit()) {
      c.commit();
    }
  }

  /** At a clean close, while this process still owns the file. */
  static void closed(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM " + MARKER_TABLE + " WHERE owner = ?")) {
      ps.setString(1, ME);
      ps.executeUpdate();
    }
    if (!c.getAutoCommit()) {
      c.commit();
    }
  }

  private static boolean tableExists(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC' AND"
                + " UPPER(TABLE_NAME) = UPPER(?)")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** An index and how to scan it in its own order. */
  record IndexDef(String table, String name, String type, String orderBy) {}

  static List<IndexDef> indexes(Connection c) throws SQLException {
    Map<String, StringBuilder> order = new LinkedHashMap<>();
    Map<String, String[]> meta = new LinkedHashMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT i.TABLE_NAME, i.INDEX_NAME, i.INDEX_TYPE_NAME, c.COLUMN_NAME,"
                    + " c.ORDERING_SPECIFICATION, c.NULL_ORDERING FROM INFORMATION_SCHEMA.INDEXES i"
                    + " JOIN INFORMATION_SCHEMA.INDEX_COLUMNS c ON c.INDEX_SCHEMA = i.INDEX_SCHEMA"
                    + " AND c.INDEX_NAME = i.INDEX_NAME AND c.TABLE_NAME = i.TABLE_NAME JOIN"
                    + " INFORMATION_SCHEMA.TABLES t ON t.TABLE_SCHEMA = i.TABLE_SCHEMA AND"
                    + " t.TABLE_NAME = i.TABLE_NAME WHERE i.TABLE_SCHEMA = 'PUBLIC' AND"
                    + " t.TABLE_TYPE = 'BASE TABLE' ORDER BY i.TABLE_NAME, i.INDEX_NAME,"
                    + " c.ORDINAL_POSITION")) {
      while (rs.next()) {
        String key = rs.getString(1) + "\u0000" + rs.getString(2);
        meta.putIfAbsent(key, new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
        StringBuilder sb = order.computeIfAbsent(key, k -> new StringBuilder());
        if (sb.length() > 0) {
          sb.append(", ");
        }
        sb.append(quote(rs.getString(4)))
            .append(' ')
            .append("DESC".equalsIgnoreCase(rs.getString(5)) ? "DESC" : "ASC")
            .append(' ')
            .append("LAST".equalsIgnoreCase(rs.getString(6)) ? "NULLS LAST" : "NULLS FIRST");
      }
    }
    List<IndexDef> out = new ArrayList<>();
    for (Map.Entry<String, String[]> e : meta.entrySet()) {
      String[] m = e.getValue();
      out.add(new IndexDef(m[0], m[1], m[2], order.get(e.getKey()).toString()));
    }
    return out;
  }

  /**
   * Whether the index holds exactly the table's rows: the count and the sum of row keys read in the
   * index's own order against the same read from the table. Null when H2 would not scan this index
   * for it (then it cannot be checked this way, and is left alone).
   */
  static Boolean matches(Connection c, IndexDef index, Map<String, Object[]> tables)
      throws SQLException {
    String table = quote(index.table);
    String throughIndex =
        "SELECT COUNT(*), SUM(CAST(rk AS DECIMAL(38))) FROM (SELECT _ROWID_ AS rk FROM "
            + table
            + " USE INDEX ("
            + quote(index.name)
            + ") ORDER BY "
            + index.orderBy
            + ") x";
    try (Statement st = c.createStatement();
        ResultSet plan = st.executeQuery("EXPLAIN " + throughIndex)) {
      plan.next();
      String p = plan.getString(1).toUpperCase(Locale.ROOT);
      if (!p.contains("." + index.name.toUpperCase(Locale.ROOT) + " ")
          && !p.contains("." + index.name.toUpperCase(Locale.ROOT) + "\n")
          && !p.contains("." + index.name.toUpperCase(Locale.ROOT) + ":")) {
        return null;
      }
    }
    Object[] viaIndex = countAndSum(c, throughIndex);
    Object[] viaTable = tables.get(index.table);
    if (viaTable == null) {
      viaTable =
          countAndSum(
              c,
              "SELECT COUNT(*), SUM(CAST(rk AS DECIMAL(38))) FROM (SELECT _ROWID_ AS rk FROM "
                  + table
                  + " USE INDEX () ORDER BY _ROWID_) x");
      tables.put(index.table, viaTable);
    }
    return java.util.Arrays.equals(viaIndex, viaTable);
  }

  private static Object[] countAndSum(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      java.math.BigDecimal sum = rs.getBigDecimal(2);
      return new Object[] {rs.getLong(1), sum == null ? null : sum.stripTrailingZeros()};
    }
  }

  /** Drops the index and creates it again from H2's own definition of it. */
  /**
   * Rebuilds the given indexes of one table: its foreign keys are dropped first and added last, so
   * that none holds on to an index being rebuilt.
   */
  static void rebuildTable(Connection c, String table, List<IndexDef> indexes) throws SQLException {
    List<String> ddl = script(c);
    String qualifiedTable = "\"PUBLIC\"." + quote(table);
    List<String> foreignKeys = new ArrayList<>();
    List<IndexDef> others = new ArrayList<>();
    for (IndexDef index : indexes) {
      // One index can serve a foreign key and a unique key together (a key re-added by H2 takes
      // an index that fits): the foreign key is dropped and added back, the index rebuilt.
      boolean ownIndex = true;
      List<String[]> constraints = constraintsOf(c, index);
      for (String[] constraint : constraints) {
        if ("FOREIGN KEY".equals(constraint[1])) {
          foreignKeys.add(constraint[0]);
        }
      }
      if (!constraints.isEmpty()
          && constraints.stream().allMatch(k -> "FOREIGN KEY".equals(k[1]))) {
        ownIndex = false;
      }
      if (ownIndex) {
        others.add(index);
      }
    }
    List<String> addBack = new ArrayList<>();
    for (String fk : foreignKeys) {
      addBack.add(
          find(
              ddl,
              "ALTER TABLE " + qualifiedTable + " ADD CONSTRAINT \"PUBLIC\"." + quote(fk) + " ",
              table,
              fk));
      try (Statement st = c.createStatement()) {
        st.execute("ALTER TABLE " + qualifiedTable + " DROP CONSTRAINT \"PUBLIC\"." + quote(fk));
      }
    }
    for (IndexDef index : others) {
      if (indexExists(c, index)) {
        rebuild(c, index);
      }
    }
    try (Statement st = c.createStatement()) {
      for (String add : addBack) {
        st.execute(add);
      }
    }
  }

  private static boolean indexExists(Connection c, IndexDef index) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_SCHEMA = 'PUBLIC' AND"
                + " TABLE_NAME = ? AND INDEX_NAME = ?")) {
      ps.setString(1, index.table);
      ps.setString(2, index.name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** The constraints {name, type} that use an index. */
  private static List<String[]> constraintsOf(Connection c, IndexDef index) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT CONSTRAINT_NAME, CONSTRAINT_TYPE FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS"
                + " WHERE TABLE_SCHEMA = 'PUBLIC' AND TABLE_NAME = ? AND INDEX_NAME = ?")) {
      ps.setString(1, index.table);
      ps.setString(2, index.name);
      List<String[]> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
      return out;
    }
  }

  /** Returns the index as it is now: a key's new index has a name H2 gave it. */
  static IndexDef rebuild(Connection c, IndexDef index) throws SQLException {
    String constraint = null;
    String constraintType = null;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT CONSTRAINT_NAME, CONSTRAINT_TYPE FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS"
                + " WHERE TABLE_SCHEMA = 'PUBLIC' AND TABLE_NAME = ? AND INDEX_NAME = ? AND"
                + " CONSTRAINT_TYPE <> 'FOREIGN KEY'")) {
      ps.setString(1, index.table);
      ps.setString(2, index.name);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          constraint = rs.getString(1);
          constraintType = rs.getString(2);
        }
      }
    }
    List<String> ddl = script(c);
    String qualifiedTable = "\"PUBLIC\"." + quote(index.table);
    if (constraint == null) {
      String create = find(ddl, "INDEX \"PUBLIC\"." + quote(index.name) + " ON ", index);
      try (Statement st = c.createStatement()) {
        st.execute("DROP INDEX \"PUBLIC\"." + quote(index.name));
        st.execute(create);
      }
      return index;
    }
    String add =
        find(
            ddl,
            "ALTER TABLE "
                + qualifiedTable
                + " ADD CONSTRAINT \"PUBLIC\"."
                + quote(constraint)
                + " ",
            index);
    if (!"FOREIGN KEY".equals(constraintType)) {
      requireUnique(c, index, qualifiedTable, constraint, constraintType, add);
    }
    try (Statement st = c.createStatement()) {
      st.execute(
          "ALTER TABLE " + qualifiedTable + " DROP CONSTRAINT \"PUBLIC\"." + quote(constraint));
      st.execute(add);
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT INDEX_NAME FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA ="
                + " 'PUBLIC' AND TABLE_NAME = ? AND CONSTRAINT_NAME = ?")) {
      ps.setString(1, index.table);
      ps.setString(2, constraint);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getString(1) != null
            ? new IndexDef(index.table, rs.getString(1), index.type, index.orderBy)
            : index;
      }
    }
  }

  /**
   * The key must hold in the table's rows before the old index goes: a damaged unique index may
   * have let a duplicate in, and dropping the key would then lose the guard for good.
   */
  private static void requireUnique(
      Connection c,
      IndexDef index,
      String qualifiedTable,
      String constraint,
      String constraintType,
      String add)
      throws SQLException {
    String columns = add.substring(add.indexOf('(') + 1, add.lastIndexOf(')'));
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*) FROM (SELECT "
                    + columns
                    + " FROM "
                    + qualifiedTable
                    // No index: the damaged one would hide the very rows this looks for.
                    + " USE INDEX () WHERE "
                    + notNull(columns)
                    + " GROUP BY "
                    + columns
                    + " HAVING COUNT(*) > 1) d")) {
      rs.next();
      if (rs.getLong(1) > 0) {
        throw new IllegalStateException(
            "table "
                + index.table
                + " has rows that break its "
                + constraintType.toLowerCase(Locale.ROOT)
                + " "
                + constraint
                + " ("
                + columns
                + "), whose index was damaged when the last process to open the file died."
                + " Restore the file from a backup, or export it with H2's Recover tool and"
                + " remove the duplicates");
      }
    }
  }

  private static String notNull(String columns) {
    List<String> parts = new ArrayList<>();
    for (String col : columns.split(",")) {
      parts.add(col.trim() + " IS NOT NULL");
    }
    return String.join(" AND ", parts);
  }

  private static List<String> script(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SCRIPT NODATA NOPASSWORDS NOSETTINGS")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private static String find(List<String> ddl, String marker, IndexDef index) {
    return find(ddl, marker, index.table, index.name);
  }

  private static String find(List<String> ddl, String marker, String table, String name) {
    for (String s : ddl) {
      if (s.contains(marker)) {
        return s.endsWith(";") ? s.substring(0, s.length() - 1) : s;
      }
    }
    throw new IllegalStateException(
        "no definition of " + name + " of table " + table + " in H2's SCRIPT of the database");
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
