package org.twiliocrm.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.db.Database;

/**
 * The one database fixture of the tests (in the spirit of Camel's test-infra services): an
 * isolated, uniquely named {@code it_*} PostgreSQL schema (127.0.0.1:5432, db test, trust), MariaDB
 * database (127.0.0.1:3306, root) or private in-memory H2 database, so test classes never see each
 * other's rows. {@link #config} points the connector at it; {@link #open} migrates it through the
 * production {@link Database}; the query helpers read and write it over plain JDBC; {@link #close}
 * drops it.
 */
public final class TestDatabase implements AutoCloseable {
  private static final String PG_ROOT = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final String PG_USER = "postgres";
  private static final String MARIADB_ROOT = "jdbc:mariadb://127.0.0.1:3306/";
  private static final String MARIADB_USER = "root";

  /** The database engines the connector supports. */
  public enum Kind {
    H2,
    POSTGRES,
    MARIADB
  }

  public final Kind kind;

  /** The schema (PostgreSQL), database (MariaDB) or in-memory database name (H2): it_... */
  public final String name;

  private final String url;
  private final String user;

  private TestDatabase(Kind kind, String name, String url, String user) {
    this.kind = kind;
    this.name = name;
    this.url = url;
    this.user = user;
  }

  /** {@code it_<purpose>_<random>}, lower case: a name no other test class uses. */
  public static String uniqueName(String purpose) {
    return ("it_" + purpose + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 8))
        .toLowerCase(Locale.ROOT);
  }

  /** A new PostgreSQL schema. */
  public static TestDatabase postgres(String purpose) {
    String schema = uniqueName(purpose);
    exec(PG_ROOT, PG_USER, "CREATE SCHEMA " + schema);
    return new TestDatabase(Kind.POSTGRES, schema, PG_ROOT + "?currentSchema=" + schema, PG_USER);
  }

  /**
   * An existing PostgreSQL schema (a benchmark's kept data set), dropped by {@link #close} like a
   * new one.
   */
  public static TestDatabase postgresSchema(String schema) {
    if (!schema.matches("it_[a-z0-9_]+")) {
      throw new IllegalArgumentException("not a test schema: " + schema);
    }
    return new TestDatabase(Kind.POSTGRES, schema, PG_ROOT + "?currentSchema=" + schema, PG_USER);
  }

  /** A new MariaDB database. */
  public static TestDatabase mariadb(String purpose) {
    String db = uniqueName(purpose);
    exec(MARIADB_ROOT + "test", MARIADB_USER, "CREATE DATABASE " + db);
    return new TestDatabase(Kind.MARIADB, db, MARIADB_ROOT + db, MARIADB_USER);
  }

  /** A new private in-memory H2 database, kept until the JVM ends. */
  public static TestDatabase h2(String purpose) {
    String db = uniqueName(purpose);
    return new TestDatabase(Kind.H2, db, "jdbc:h2:mem:" + db + ";DB_CLOSE_DELAY=-1", "sa");
  }

  /** One of the three, by kind. */
  public static TestDatabase of(Kind kind, String purpose) {
    return switch (kind) {
      case H2 -> h2(purpose);
      case POSTGRES -> postgres(purpose);
      case MARIADB -> mariadb(purpose);
    };
  }

  public String url() {
    return url;
  }

  public String user() {
    return user;
  }

  /** Connector settings for this database with a pool of 10. */
  public ConnectorConfig.Db config() {
    return config(10);
  }

  public ConnectorConfig.Db config(int poolSize) {
    return new ConnectorConfig.Db(url, user, "", poolSize, Duration.ofSeconds(5));
  }

  /** The production Database on it: pool, DataSource and Flyway migrations. */
  public Database open(int poolSize) {
    return Database.open(config(poolSize));
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url, user, "");
  }

  /** The first column of the first row, as a number. */
  public long count(String sql, Object... args) {
    return query(
        sql,
        args,
        rs -> {
          rs.next();
          return rs.getLong(1);
        });
  }

  /** The first column of the first row as text, or null when there is no row. */
  public String string(String sql, Object... args) {
    return query(sql, args, rs -> rs.next() ? rs.getString(1) : null);
  }

  /** Every row, each as its columns' text. */
  public List<List<String>> rows(String sql, Object... args) {
    return query(
        sql,
        args,
        rs -> {
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
        });
  }

  /** An update; returns the number of rows it changed. */
  public int exec(String sql, Object... args) {
    try (Connection c = connect();
        PreparedStatement ps = prepare(c, sql, args)) {
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private interface Reader<T> {
    T read(ResultSet rs) throws SQLException;
  }

  private <T> T query(String sql, Object[] args, Reader<T> reader) {
    try (Connection c = connect();
        PreparedStatement ps = prepare(c, sql, args);
        ResultSet rs = ps.executeQuery()) {
      return reader.read(rs);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private static PreparedStatement prepare(Connection c, String sql, Object[] args)
      throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    for (int i = 0; i < args.length; i++) {
      ps.setObject(i + 1, args[i]);
    }
    return ps;
  }

  /** Drops the schema or database (H2: nothing, it goes with the JVM). */
  @Override
  public void close() {
    switch (kind) {
      case POSTGRES -> exec(PG_ROOT, PG_USER, "DROP SCHEMA IF EXISTS " + name + " CASCADE");
      case MARIADB -> exec(MARIADB_ROOT + "test", MARIADB_USER, "DROP DATABASE IF EXISTS " + name);
      case H2 -> {}
    }
  }

  private static void exec(String url, String user, String sql) {
    try (Connection c = DriverManager.getConnection(url, user, "");
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "test database at " + url + ": " + sql + ": " + e.getMessage(), e);
    }
  }
}
