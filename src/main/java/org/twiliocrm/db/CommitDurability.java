package org.twiliocrm.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConnectorConfig.Vendor;

/**
 * Makes "committed" mean "durable" on every supported database, whatever the user put in the URL.
 * The connector acknowledges a webhook (200) and records a Twilio send only after a commit, so a
 * commit that can vanish in a crash loses an acknowledged callback or sends a message twice.
 *
 * <ul>
 *   <li><b>H2</b> (file or server): {@code WRITE_DELAY=0}. H2's default (500 ms) returns from a
 *       commit before the MVStore has written it; with 0, the commit itself writes the store
 *       (MVStore autoCommitDelay 0: the transaction's end calls {@code MVStore.commit()}), so a
 *       killed process loses nothing it had committed. H2 does not fsync per commit: an operating
 *       system crash or power loss can still lose the last commits. docs/durability.md says so.
 *   <li><b>PostgreSQL</b>: {@code synchronous_commit=on} on every pooled session, overriding a
 *       server or role default of off; {@code fsync=off} on the server is refused (or warned).
 *   <li><b>MariaDB</b>: {@code innodb_flush_log_at_trx_commit} is global and only an administrator
 *       may change it, so the connector checks that it is 1 and refuses (or warns) otherwise.
 * </ul>
 */
final class CommitDurability {
  private static final Logger LOG = LoggerFactory.getLogger(CommitDurability.class);

  static final String REQUIRE_KEY = "connector.db.require-durable-commits";

  private CommitDurability() {}

  /** True for H2 URLs that keep data in a file (embedded file or H2 server); not in-memory. */
  static boolean h2OnDisk(String url) {
    String rest = url.substring("jdbc:h2:".length()).toLowerCase(Locale.ROOT);
    return !rest.startsWith("mem:");
  }

  /**
   * The URL the pool opens: for an on-disk H2 database any WRITE_DELAY setting is replaced by
   * WRITE_DELAY=0; other URLs are returned unchanged.
   */
  static String effectiveUrl(Vendor vendor, String url) {
    if (vendor != Vendor.H2 || !h2OnDisk(url)) {
      return url;
    }
    String[] parts = url.split(";");
    StringBuilder sb = new StringBuilder(parts[0]);
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      if (p.isBlank()) {
        continue;
      }
      if (p.trim().toUpperCase(Locale.ROOT).startsWith("WRITE_DELAY=")) {
        if (!p.trim().equals("WRITE_DELAY=0")) {
          LOG.warn(
              "connector.db.url sets {}; the connector uses WRITE_DELAY=0 so that a commit is on"
                  + " disk before it is acknowledged",
              p.trim());
        }
        continue;
      }
      sb.append(';').append(p);
    }
    return sb.append(";WRITE_DELAY=0").toString();
  }

  /** SQL every pooled connection runs once when opened, or null. */
  static String connectionInitSql(Vendor vendor) {
    // Per session, so it holds whatever the server, database or role default says.
    return vendor == Vendor.POSTGRESQL ? "SET synchronous_commit TO on" : null;
  }

  /**
   * Checks on a live connection that commits are durable; fixes what the connector may fix (H2's
   * persistent WRITE_DELAY) and refuses or warns about what only the server's administrator can.
   */
  static void verify(Connection c, Vendor vendor, String url, boolean require) throws SQLException {
    switch (vendor) {
      case H2 -> {
        if (!h2OnDisk(url)) {
          return;
        }
        String delay =
            value(
                c,
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                    + " WHERE SETTING_NAME = 'WRITE_DELAY'");
        if (!"0".equals(delay)) {
          // Reached through another process's AUTO_SERVER, the URL's setting may not apply.
          try (Statement s = c.createStatement()) {
            s.execute("SET WRITE_DELAY 0");
          }
          delay =
              value(
                  c,
                  "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                      + " WHERE SETTING_NAME = 'WRITE_DELAY'");
        }
        if (!"0".equals(delay)) {
          throw new IllegalStateException(
              "H2 reports WRITE_DELAY="
                  + delay
                  + " after SET WRITE_DELAY 0; commits would not be"
                  + " durable");
        }
        LOG.info(
            "Database durability: H2 writes each commit to its file before it returns"
                + " (WRITE_DELAY=0)");
      }
      case POSTGRESQL -> {
        String sync = value(c, "SHOW synchronous_commit");
        if ("off".equalsIgnoreCase(sync)) {
          throw new IllegalStateException(
              "PostgreSQL session has synchronous_commit=off after SET synchronous_commit TO on");
        }
        String fsync = value(c, "SHOW fsync");
        if ("off".equalsIgnoreCase(fsync)) {
          serverSetting(
              require, "PostgreSQL runs with fsync=off", "set fsync = on in" + " postgresql.conf");
        }
        LOG.info("Database durability: PostgreSQL synchronous_commit={}, fsync={}", sync, fsync);
        // Not a durability matter, but read on the same connection: without autovacuum the
        // connector's queue tables bloat and their plans degrade (PostgresMaintenance).
        List<String> maintenance = PostgresMaintenance.problems(c);
        if (!maintenance.isEmpty()) {
          LOG.warn(
              "PostgreSQL maintenance: {}; the outbox and status tables will bloat and slow"
                  + " down. Fix: {}",
              String.join("; ", maintenance),
              PostgresMaintenance.FIX);
        }
      }
      case MARIADB -> {
        String flush = value(c, "SELECT @@GLOBAL.innodb_flush_log_at_trx_commit");
        if (!"1".equals(flush)) {
          serverSetting(
              require,
              "MariaDB runs with innodb_flush_log_at_trx_commit="
                  + flush
                  + " (a commit can return before its log is flushed)",
              "SET GLOBAL innodb_flush_log_at_trx_commit = 1 (and in the server's configuration)");
        }
        LOG.info("Database durability: MariaDB innodb_flush_log_at_trx_commit={}", flush);
      }
    }
  }

  private static void serverSetting(boolean require, String problem, String fix) {
    String msg =
        problem
            + ": a commit the connector acknowledged could be lost if the database"
            + " server crashes. Fix: "
            + fix;
    if (require) {
      throw new IllegalStateException(
          msg + ", or set " + REQUIRE_KEY + "=false to run anyway with a warning");
    }
    LOG.warn("{} ({}=false, so starting anyway)", msg, REQUIRE_KEY);
  }

  /** The first column of the first row of {@code sql}, as text (PostgresMaintenance too). */
  static String value(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? String.valueOf(rs.getObject(1)) : null;
    }
  }
}
