package org.twiliocrm.preflight;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.Redaction;

/**
 * The database side of preflight: reachable, migrated (no pending migration: preflight reads the
 * schema history, it never migrates), and durable settings for production.
 */
public final class DatabaseChecks {
  static final String AREA = "Database";

  private final ConnectorConfig.Db db;
  private final boolean live;

  public DatabaseChecks(ConnectorConfig.Db db, boolean live) {
    this.db = db;
    this.live = live;
  }

  public List<Check> run() {
    List<Check> out = new ArrayList<>();
    String shown = Redaction.jdbcUrl(db.url());
    DriverManager.setLoginTimeout((int) Math.max(1, db.connectTimeout().toSeconds()));
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password())) {
      if (!c.isValid(5)) {
        throw new IllegalStateException("connection not valid");
      }
      out.add(
          Check.pass(
              AREA, "reachable", shown + " (" + c.getMetaData().getDatabaseProductName() + ")"));
    } catch (Exception e) {
      out.add(
          Check.fail(
              AREA,
              "reachable",
              shown + ": " + Check.error(e),
              "check connector.db.url, connector.db.user and connector.db.password, and that the"
                  + " database accepts connections from here"));
      out.add(Check.skip(AREA, "migrated", "not checked: no connection"));
      out.add(durable(shown));
      return out;
    }
    try {
      Flyway flyway =
          Flyway.configure()
              .dataSource(db.url(), db.user(), db.password())
              .locations("classpath:db/migration/" + db.vendor().name().toLowerCase(Locale.ROOT))
              .table("connector_schema_history")
              .load();
      var info = flyway.info();
      MigrationInfo current = info.current();
      int pending = info.pending().length;
      List<String> broken = new ArrayList<>();
      for (MigrationInfo m : info.all()) {
        if (m.getState().isFailed()) {
          broken.add(m.getVersion() + " " + m.getState().getDisplayName());
        } else if (m.getState() == org.flywaydb.core.api.MigrationState.FUTURE_SUCCESS) {
          broken.add(m.getVersion() + " applied by a newer connector");
        }
      }
      if (!broken.isEmpty()) {
        out.add(
            Check.fail(
                AREA,
                "migrated",
                "schema history: " + String.join(", ", broken),
                "run the connector version that migrated this database, or repair the failed"
                    + " migration (Flyway repair) after fixing its cause"));
      } else if (current == null) {
        // An init container runs before the first start: an empty schema is expected then.
        out.add(
            Check.pass(AREA, "migrated", "empty: " + pending + " migration(s) run at start-up"));
      } else {
        out.add(
            Check.pass(
                AREA,
                "migrated",
                "schema at version "
                    + current.getVersion()
                    + (pending == 0 ? "" : ", " + pending + " migration(s) run at start-up")));
      }
    } catch (Exception e) {
      out.add(
          Check.fail(AREA, "migrated", "cannot read the schema history: " + Check.error(e), ""));
    }
    out.add(durable(shown));
    if (db.vendor() == ConnectorConfig.Vendor.POSTGRESQL) {
      out.add(autovacuum());
    }
    return out;
  }

  /** PostgreSQL: autovacuum keeps the connector's queue tables small and their plans sound. */
  private Check autovacuum() {
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password())) {
      List<String> problems = org.twiliocrm.db.PostgresMaintenance.problems(c);
      return problems.isEmpty()
          ? Check.pass(AREA, "autovacuum", "on for the connector's tables")
          : Check.warnInLive(
              live,
              AREA,
              "autovacuum",
              String.join("; ", problems)
                  + ": the outbox and status tables bloat and their plans degrade",
              org.twiliocrm.db.PostgresMaintenance.FIX);
    } catch (Exception e) {
      return Check.warn(AREA, "autovacuum", "cannot read the settings: " + Check.error(e), "");
    }
  }

  private Check durable(String shown) {
    String url = db.url().toLowerCase(Locale.ROOT);
    if (url.startsWith("jdbc:h2:mem:")) {
      return Check.failInLive(
          live,
          AREA,
          "durable settings",
          "in-memory H2: every queued message is lost on restart",
          "use PostgreSQL or MariaDB (connector.db.url=jdbc:postgresql://...)");
    }
    if (url.startsWith("jdbc:h2:")) {
      boolean writeDelay0 = url.contains("write_delay=0");
      return Check.failInLive(
          live,
          AREA,
          "durable settings",
          "H2 file database"
              + (writeDelay0
                  ? " (WRITE_DELAY=0), single node only"
                  : ": commits are acknowledged before they reach the disk"),
          "use PostgreSQL or MariaDB in production (connector.db.url=jdbc:postgresql://...)");
    }
    return Check.pass(AREA, "durable settings", shown);
  }
}
