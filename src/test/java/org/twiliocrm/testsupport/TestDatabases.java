package org.twiliocrm.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.twiliocrm.config.ConnectorConfig;

/**
 * Real databases for *IT tests: each call makes a fresh, uniquely named PostgreSQL schema or
 * MariaDB database so test classes never see each other's rows.
 */
public final class TestDatabases {
  public static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";
  public static final String PG_USER = "postgres";
  public static final String MARIADB_URL = "jdbc:mariadb://127.0.0.1:3306/";
  public static final String MARIADB_USER = "root";

  private TestDatabases() {}

  public static String uniqueName(String prefix) {
    return (prefix
            + "_"
            + Long.toString(System.nanoTime(), 36)
            + ThreadLocalRandom.current().nextInt(1000))
        .toLowerCase(Locale.ROOT);
  }

  /** A new PostgreSQL schema; the returned settings point the connector at it. */
  public static ConnectorConfig.Db postgres(String prefix) {
    String schema = uniqueName(prefix);
    exec(PG_URL, PG_USER, "CREATE SCHEMA " + schema);
    return new ConnectorConfig.Db(
        PG_URL + "?currentSchema=" + schema, PG_USER, null, 10, Duration.ofSeconds(5));
  }

  /** A new MariaDB database; the returned settings point the connector at it. */
  public static ConnectorConfig.Db mariadb(String prefix) {
    String db = uniqueName(prefix);
    exec(MARIADB_URL, MARIADB_USER, "CREATE DATABASE " + db);
    return new ConnectorConfig.Db(MARIADB_URL + db, MARIADB_USER, null, 10, Duration.ofSeconds(5));
  }

  /** A new private in-memory H2 database. */
  public static ConnectorConfig.Db h2(String prefix) {
    return new ConnectorConfig.Db(
        "jdbc:h2:mem:" + uniqueName(prefix) + ";DB_CLOSE_DELAY=-1",
        null,
        null,
        10,
        Duration.ofSeconds(5));
  }

  private static void exec(String url, String user, String sql) {
    try (Connection c = DriverManager.getConnection(url, user, null);
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "test database not reachable at " + url + ": " + e.getMessage(), e);
    }
  }
}
