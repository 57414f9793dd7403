package org.twiliocrm.crm.events;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/** A fresh PostgreSQL schema (127.0.0.1:5432/test, trust auth) per test class. */
public final class PgSchema implements AutoCloseable {
  static final String ROOT = "jdbc:postgresql://127.0.0.1:5432/test";
  public final String name =
      ("crm_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 8))
          .toLowerCase(Locale.ROOT);

  public PgSchema() {
    exec(ROOT, "CREATE SCHEMA " + name);
  }

  public String url() {
    return ROOT + "?currentSchema=" + name;
  }

  public long count(String sql) {
    try (Connection c = DriverManager.getConnection(url(), "postgres", "");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  public List<List<String>> rows(String sql) {
    try (Connection c = DriverManager.getConnection(url(), "postgres", "");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      List<List<String>> out = new ArrayList<>();
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
      return out;
    } catch (Exception e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private static void exec(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    exec(ROOT, "DROP SCHEMA IF EXISTS " + name + " CASCADE");
  }
}
