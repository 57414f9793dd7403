package org.twiliocrm.outbound;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.twiliocrm.config.ConnectorConfig;

/** A fresh schema (PostgreSQL), database (MariaDB) or in-memory database (H2) per test class. */
final class TestDatabases {
  private TestDatabases() {}

  static String unique(String prefix) {
    return (prefix + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 8))
        .toLowerCase(Locale.ROOT);
  }

  static ConnectorConfig.Db h2(String name) {
    return new ConnectorConfig.Db(
        "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1", "sa", "", 20, Duration.ofSeconds(5));
  }

  static ConnectorConfig.Db postgres(String schema) {
    exec("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "", "CREATE SCHEMA " + schema);
    return new ConnectorConfig.Db(
        "jdbc:postgresql://127.0.0.1:5432/test?currentSchema=" + schema,
        "postgres",
        "",
        30,
        Duration.ofSeconds(5));
  }

  static void dropPostgres(String schema) {
    exec(
        "jdbc:postgresql://127.0.0.1:5432/test",
        "postgres",
        "",
        "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }

  static ConnectorConfig.Db mariadb(String database) {
    exec("jdbc:mariadb://127.0.0.1:3306/test", "root", "", "CREATE DATABASE " + database);
    return new ConnectorConfig.Db(
        "jdbc:mariadb://127.0.0.1:3306/" + database, "root", "", 20, Duration.ofSeconds(5));
  }

  static void dropMariaDb(String database) {
    exec("jdbc:mariadb://127.0.0.1:3306/test", "root", "", "DROP DATABASE IF EXISTS " + database);
  }

  private static void exec(String url, String user, String password, String sql) {
    try (Connection c = DriverManager.getConnection(url, user, password);
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }
}
