package org.twiliocrm.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.config.Redaction;

/**
 * The connector's one connection pool, with the schema brought up to date by Flyway before any
 * route starts. Each supported vendor has its own migration folder with the same versions and the
 * same tables, because column types and identity syntax differ.
 */
public final class Database implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final HikariDataSource dataSource;
  private final Vendor vendor;
  private final String displayUrl;
  // Set by closeLastAtExit: a session that keeps the H2 database open, and the hook held.
  private Connection keeper;
  private boolean exitHeld;
  // This process opened the H2 file (not an AUTO_SERVER client): it notes a clean close.
  private boolean h2Owner;

  /** Compacts the H2 file this process owns while it runs (H2Housekeeping); null otherwise. */
  private H2Housekeeping housekeeping;

  private H2Recovery.Report h2Recovery;

  private Database(HikariDataSource dataSource, Vendor vendor, String displayUrl) {
    this.dataSource = dataSource;
    this.vendor = vendor;
    this.displayUrl = displayUrl;
  }

  /**
   * Opens the pool, waits for the database (up to connector.db.startup-timeout), makes sure its
   * commits are durable, and migrates the schema. Fails with a readable message if the DB is
   * unusable.
   */
  public static Database open(ConnectorConfig.Db cfg) {
    Vendor vendor = cfg.vendor();
    HikariConfig hc = new HikariConfig();
    String url = inlineSmallLobs(vendor, CommitDurability.effectiveUrl(vendor, cfg.url()));
    String poolUrl = url;
    String upper = url.toUpperCase(Locale.ROOT);
    if (vendor == Vendor.H2
        && CommitDurability.h2OnDisk(url)
        && !upper.contains("DB_CLOSE_ON_EXIT=")
        && !upper.contains("AUTO_SERVER=TRUE")) {
      // H2's own JVM shutdown hook would close the database while the connector drains on
      // SIGTERM (sends in flight could not be recorded: "Database is already closed"). The pool's
      // close, the connector's last step, closes it instead. H2 refuses this together with
      // AUTO_SERVER=TRUE (the embedded default): there closeLastAtExit holds H2's hook back.
      poolUrl = url + ";DB_CLOSE_ON_EXIT=FALSE";
    }
    hc.setJdbcUrl(poolUrl);
    if (vendor == Vendor.POSTGRESQL && !url.contains("logServerErrorDetail")) {
      // A server error's "Detail:" quotes the row ("Key (recipient)=(+1415...) already exists"):
      // with this, PgJDBC leaves it out of exception texts, so no log line carries row data.
      hc.addDataSourceProperty("logServerErrorDetail", "false");
    }
    if (cfg.user() != null) {
      hc.setUsername(cfg.user());
    }
    if (cfg.password() != null) {
      hc.setPassword(cfg.password());
    }
    hc.setMaximumPoolSize(cfg.poolSize());
    hc.setMinimumIdle(Math.min(2, cfg.poolSize()));
    hc.setConnectionTimeout(Math.max(250, cfg.connectTimeout().toMillis()));
    hc.setPoolName("connector-db");
    String initSql = CommitDurability.connectionInitSql(vendor);
    if (initSql != null) {
      hc.setConnectionInitSql(initSql);
    }
    // Do not fail pool construction when the database is briefly down: start-up retries below,
    // and later outages are reported by readiness.
    hc.setInitializationFailTimeout(-1);
    HikariDataSource ds = new HikariDataSource(hc);
    Database db = new Database(ds, vendor, Redaction.jdbcUrl(url));
    try {
      try (Connection c =
          StartupRetry.firstConnection(db.displayUrl, cfg.startupTimeout(), ds::getConnection)) {
        CommitDurability.verify(c, vendor, url, cfg.requireDurableCommits());
        if (vendor == Vendor.H2 && CommitDurability.h2OnDisk(url) && H2Recovery.ownsFile(c)) {
          // Before anything reads through an index the last owner's death may have damaged.
          db.h2Recovery = H2Recovery.open(c, db.displayUrl);
          db.h2Owner = true;
        }
      }
      db.migrate(() -> lockConnection(url, cfg));
      if (db.h2Owner) {
        try (Connection c = ds.getConnection()) {
          H2Recovery.markOpen(c, db.h2Recovery.uncleanStop());
        }
        db.housekeeping = H2Housekeeping.start(ds, db.displayUrl);
      }
    } catch (SQLException | RuntimeException e) {
      ds.close();
      String hint = "";
      if (db.h2Recovery != null
          && db.h2Recovery.uncleanStop()
          && !(e instanceof IllegalStateException)) {
        // H2 itself failed on a file a dead process left open: say what the user can do.
        hint =
            ". The last process to open this H2 file died without closing it, and H2 may have"
                + " left it damaged (docs/durability.md): restore it from a backup, or export what"
                + " it holds with H2's Recover tool (java -cp <the jar> org.h2.tools.Recover) and"
                + " start on a new file";
      }
      throw new IllegalStateException(
          "database "
              + db.displayUrl
              + " is not usable: "
              + (e instanceof IllegalStateException ? e.getMessage() : rootMessage(e))
              + hint,
          e);
    }
    return db;
  }

  /** Text columns (CLOB) up to this many bytes are kept in their row on H2. */
  static final int H2_INPLACE_LOB_BYTES = 4096;

  /**
   * The URL with {@code MAX_LENGTH_INPLACE_LOB=4096} on H2, unless it sets its own. H2 keeps a CLOB
   * longer than 256 bytes (its default) apart from the row, in LOB maps of its own. A Twilio
   * callback's form is 300-600 bytes and is stored as a CLOB ({@code webhook_event.payload}), so
   * each callback cost three more map writes in its commit, a read through a stream when it was
   * applied, and a background cleaner's work when retention deleted it (issue 20: the webhook
   * writers, which commit those rows, used 10-15 % less CPU per message with the payload in the
   * row). The setting is H2's own and persistent; LOBs stored before it stay where they are.
   */
  static String inlineSmallLobs(Vendor vendor, String url) {
    if (vendor != Vendor.H2 || url.toUpperCase(Locale.ROOT).contains(";MAX_LENGTH_INPLACE_LOB=")) {
      return url;
    }
    return url + ";MAX_LENGTH_INPLACE_LOB=" + H2_INPLACE_LOB_BYTES;
  }

  private void migrate(LockConnection lockConnection) {
    Flyway flyway =
        Flyway.configure()
            .dataSource(dataSource)
            .locations("classpath:db/migration/" + vendor.name().toLowerCase(Locale.ROOT))
            .table("connector_schema_history")
            .baselineOnMigrate(true)
            .baselineVersion("0")
            .load();
    MigrateResult result;
    // Replicas that start together on a fresh database race in Flyway: one creates the history
    // table, the other finds it empty beside the first one's tables and refuses to baseline
    // (seen in CrmEventsFailoverIT with two processes). A database-wide lock held around the
    // migration makes the second process wait and then find every migration applied.
    try (Connection lockHolder = vendor == Vendor.H2 ? null : lockConnection.open()) {
      lockMigrations(lockHolder);
      try {
        result = flyway.migrate();
      } finally {
        unlockMigrations(lockHolder);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not take the migration lock: " + e.getMessage(), e);
    }
    LOG.info(
        "Database schema at version {} ({} migration(s) applied now)",
        result.targetSchemaVersion != null
            ? result.targetSchemaVersion
            : result.initialSchemaVersion,
        result.migrationsExecuted);
  }

  /** The lock name is per schema, so unrelated schemas on one server migrate in parallel. */
  private static final String MIGRATION_LOCK = "twilio-crm-connector:migrate:";

  /** Opens the connection that holds the migration lock. */
  private interface LockConnection {
    Connection open() throws SQLException;
  }

  /**
   * Outside the pool on purpose: with {@code connector.db.pool-size=1} a pooled lock holder would
   * leave Flyway no connection to migrate with.
   */
  private static Connection lockConnection(String url, ConnectorConfig.Db cfg) throws SQLException {
    return DriverManager.getConnection(url, cfg.user(), cfg.password());
  }

  private void lockMigrations(Connection c) throws SQLException {
    switch (vendor) {
      case POSTGRESQL -> {
        // Session-level advisory lock: released by the unlock below, or by PostgreSQL when this
        // process dies, so a crashed replica never blocks the next start.
        try (PreparedStatement ps =
            c.prepareStatement("SELECT pg_advisory_lock(hashtext(? || current_schema()))")) {
          ps.setString(1, MIGRATION_LOCK);
          ps.execute();
        }
      }
      case MARIADB -> {
        try (PreparedStatement ps =
            c.prepareStatement("SELECT GET_LOCK(LEFT(CONCAT(?, DATABASE()), 64), ?)")) {
          ps.setString(1, MIGRATION_LOCK);
          ps.setInt(2, 600);
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next() || rs.getInt(1) != 1) {
              throw new SQLException("another process held the migration lock for 600 s");
            }
          }
        }
      }
      case H2 -> {
        // An embedded H2 file is opened by one process only (AUTO_SERVER aside, where the
        // server's own table locks serialize Flyway), so there is nothing to coordinate.
      }
    }
  }

  private void unlockMigrations(Connection c) throws SQLException {
    String sql =
        switch (vendor) {
          case POSTGRESQL -> "SELECT pg_advisory_unlock(hashtext(? || current_schema()))";
          case MARIADB -> "SELECT RELEASE_LOCK(LEFT(CONCAT(?, DATABASE()), 64))";
          case H2 -> null;
        };
    if (sql != null) {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, MIGRATION_LOCK);
        ps.execute();
      }
    }
  }

  /**
   * On an H2 file that H2 itself closes at JVM exit (the embedded default, with AUTO_SERVER), makes
   * H2's exit hook wait until this database is closed, at most {@code maxWait}, so a SIGTERM drain
   * can still record its last sends (see H2ExitHook). A session of its own keeps H2's database open
   * meanwhile: if the pool ever had no connection, H2 would close the database and, on reopening
   * it, put its hook back. Only for the jar's run, whose SIGTERM handling closes this; elsewhere a
   * JVM exit without {@link #close} would wait for {@code maxWait}. Does nothing on other
   * databases.
   */
  public synchronized void closeLastAtExit(Duration maxWait) {
    String url = dataSource.getJdbcUrl();
    if (exitHeld
        || dataSource.isClosed()
        || vendor != Vendor.H2
        || !CommitDurability.h2OnDisk(url)
        || url.toUpperCase(Locale.ROOT).contains("DB_CLOSE_ON_EXIT=FALSE")) {
      return;
    }
    try {
      keeper = DriverManager.getConnection(url, dataSource.getUsername(), dataSource.getPassword());
    } catch (SQLException e) {
      LOG.warn("Database {}: no session to keep it open: {}", displayUrl, rootMessage(e));
    }
    exitHeld = H2ExitHook.hold(maxWait);
  }

  /** What the start-up check of an H2 file found (null: not an H2 file this process owns). */
  H2Recovery.Report h2Recovery() {
    return h2Recovery;
  }

  /**
   * Whether this is an H2 file this process owns that the last process to own it did not close
   * (killed, crashed, power lost): its last transaction may be partly applied (H2Recovery).
   */
  public boolean uncleanH2Stop() {
    return h2Recovery != null && h2Recovery.uncleanStop();
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public Vendor vendor() {
    return vendor;
  }

  /** The JDBC URL with any credentials removed, for banners and logs. */
  public String displayUrl() {
    return displayUrl;
  }

  /** True when a connection can be had and answers within the timeout. */
  public boolean isUsable(int timeoutSeconds) {
    try (Connection c = dataSource.getConnection()) {
      return c.isValid(timeoutSeconds);
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public synchronized void close() {
    if (housekeeping != null) {
      housekeeping.close();
      long[] n = housekeeping.counts();
      LOG.info(
          "Database {}: H2 file compacted in {} of {} housekeeping passes", displayUrl, n[1], n[0]);
      housekeeping = null;
    }
    if (h2Owner && !dataSource.isClosed()) {
      // A clean close: the next start need not check the file's indexes.
      try (Connection c = dataSource.getConnection()) {
        H2Recovery.closed(c);
      } catch (SQLException | RuntimeException e) {
        LOG.warn("Database {}: could not note the clean close: {}", displayUrl, rootMessage(e));
      }
    }
    dataSource.close();
    if (keeper != null) {
      try {
        keeper.close();
      } catch (SQLException e) {
        LOG.warn("Database {}: closing the keeper session: {}", displayUrl, rootMessage(e));
      }
      keeper = null;
    }
    if (exitHeld) {
      exitHeld = false;
      H2ExitHook.release();
    }
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }
}
