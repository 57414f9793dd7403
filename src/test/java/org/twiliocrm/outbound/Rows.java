package org.twiliocrm.outbound;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/** Test helper: inserts outbox rows the way a producer would, and reads them back. */
final class Rows {
  private final DataSource ds;

  Rows(DataSource ds) {
    this.ds = ds;
  }

  /** Inserts one row; {@code cols} are column name/value pairs besides the key. */
  long insert(String key, Object... cols) {
    StringBuilder names = new StringBuilder("idempotency_key");
    StringBuilder marks = new StringBuilder("?");
    for (int i = 0; i < cols.length; i += 2) {
      names.append(", ").append(cols[i]);
      marks.append(", ?");
    }
    String sql = "INSERT INTO outbox_message (" + names + ") VALUES (" + marks + ")";
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql, new String[] {"id"})) {
      ps.setString(1, key);
      for (int i = 1; i < cols.length; i += 2) {
        ps.setObject(2 + i / 2, cols[i]);
      }
      ps.executeUpdate();
      try (ResultSet rs = ps.getGeneratedKeys()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** Inserts n plain SMS rows in one transaction (multi-row batch). */
  void insertSms(String keyPrefix, int n, String to, String from) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO outbox_message (idempotency_key, channel, recipient, sender, body)"
                  + " VALUES (?, 'sms', ?, ?, ?)")) {
        for (int i = 0; i < n; i++) {
          ps.setString(1, keyPrefix + i);
          ps.setString(2, to);
          ps.setString(3, from);
          ps.setString(4, "Reminder " + i);
          ps.addBatch();
          if (i % 1000 == 999) {
            ps.executeBatch();
          }
        }
        ps.executeBatch();
      }
      c.commit();
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  Map<String, Object> row(long id) {
    List<Map<String, Object>> r = query("SELECT * FROM outbox_message WHERE id = " + id);
    return r.isEmpty() ? Map.of() : r.get(0);
  }

  String status(long id) {
    Object s = row(id).get("status");
    return s == null ? null : s.toString();
  }

  List<Map<String, Object>> attempts(long id) {
    return query("SELECT * FROM outbox_attempt WHERE message_id = " + id + " ORDER BY id");
  }

  long count(String where) {
    List<Map<String, Object>> r = query("SELECT COUNT(*) AS n FROM outbox_message WHERE " + where);
    return ((Number) r.get(0).get("n")).longValue();
  }

  void exec(String sql) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  List<Map<String, Object>> query(String sql) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      List<Map<String, Object>> out = new ArrayList<>();
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 1; i <= n; i++) {
          m.put(rs.getMetaData().getColumnLabel(i).toLowerCase(), rs.getObject(i));
        }
        out.add(m);
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }
}
