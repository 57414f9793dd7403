package org.twiliocrm.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.config.ConnectorConfig;

/**
 * What each commit costs on the embedded database (issue 20): on H2 with WRITE_DELAY=0 every commit
 * stores every page changed since the previous one, so the connector keeps the number of stores
 * down. Checked on a file database like the default one, through H2's own store counters.
 */
class H2StoreCostTest {
  @TempDir Path dir;

  private Database open(String extra) {
    String url = "jdbc:h2:file:" + dir.resolve("connector") + ";AUTO_SERVER=TRUE" + extra;
    return Database.open(new ConnectorConfig.Db(url, "", "", 4, Duration.ofSeconds(5)));
  }

  private static String info(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = ?")) {
      ps.setString(1, name);
      try (ResultSet r = ps.executeQuery()) {
        assertThat(r.next()).as(name).isTrue();
        return r.getString(1).trim();
      }
    }
  }

  @Test
  void aTransactionOfManyNewWebhookEventsIsOneStore() throws Exception {
    Database db = open("");
    try (Connection c = db.dataSource().getConnection()) {
      // The first id a sequence hands out after opening reserves its cache (one store).
      insertEvents(c, "warm-up", 1);
      long before = Long.parseLong(info(c, "info.CURRENT_VERSION"));
      // 200 ids: with H2's default identity cache of 32 the sequence would commit (and store)
      // on its own 6 times inside this transaction.
      insertEvents(c, "run", 200);
      long after = Long.parseLong(info(c, "info.CURRENT_VERSION"));
      assertThat(after - before).as("stores for one commit of 200 new rows").isEqualTo(1);
    } finally {
      db.close();
    }
  }

  private static void insertEvents(Connection c, String prefix, int n) throws SQLException {
    c.setAutoCommit(false);
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO webhook_event (kind, dedupe_key, payload, received_at)"
                + " VALUES ('message-status', ?, '{}', ?)")) {
      for (int i = 0; i < n; i++) {
        ps.setString(1, prefix + i);
        ps.setObject(2, OffsetDateTime.now());
        ps.addBatch();
      }
      ps.executeBatch();
    }
    c.commit();
    c.setAutoCommit(true);
  }

  @Test
  void tablesWrittenPerMessageHaveALargeIdentityCache() throws Exception {
    Database db = open("");
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT LOWER(TABLE_NAME), IDENTITY_CACHE FROM INFORMATION_SCHEMA.COLUMNS"
                    + " WHERE IS_IDENTITY = 'YES' AND LOWER(TABLE_NAME) IN ('outbox_message',"
                    + " 'outbox_attempt', 'webhook_event', 'crm_action', 'governance_audit',"
                    + " 'consent_event') ORDER BY 1")) {
      int n = 0;
      while (r.next()) {
        assertThat(r.getLong(2)).as(r.getString(1)).isEqualTo(1000);
        n++;
      }
      assertThat(n).isEqualTo(6);
    } finally {
      db.close();
    }
  }

  @Test
  void aCallbacksPayloadIsStoredInItsRowNotInTheLobMaps() throws Exception {
    assertThat(lobsStoredApart("")).as("LOBs stored apart with the connector's URL").isZero();
    // A URL that sets its own limit keeps it: here H2's default of 256 bytes, under which the
    // same payloads go to the LOB maps (so the check above can tell the two apart).
    assertThat(lobsStoredApart(";MAX_LENGTH_INPLACE_LOB=256"))
        .as("LOBs stored apart with MAX_LENGTH_INPLACE_LOB=256")
        .isEqualTo(20);
  }

  /** Stores 20 events with a status callback's payload and counts the LOBs H2 keeps apart. */
  private long lobsStoredApart(String extra) throws Exception {
    Database db = open(extra);
    try (Connection c = db.dataSource().getConnection()) {
      // A status callback's form as the webhook gate stores it: sorted, re-encoded, ~330 bytes.
      String payload =
          "AccountSid=AC00000000000000000000000000000001&ApiVersion=2010-04-01"
              + "&From=%2B15550001111&MessageSid=SM00000000000000000000000000000001"
              + "&MessageStatus=delivered&MessagingServiceSid=MG00000000000000000000000000000001"
              + "&RawDlrDoneDate=2612041915&SmsSid=SM00000000000000000000000000000001"
              + "&SmsStatus=delivered&To=%2B15550002222";
      assertThat(payload.length()).isGreaterThan(256);
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("DELETE FROM webhook_event");
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO webhook_event (kind, dedupe_key, payload, received_at)"
                  + " VALUES ('message-status', ?, ?, ?)")) {
        for (int i = 0; i < 20; i++) {
          ps.setString(1, "lob-" + i);
          ps.setString(2, payload);
          ps.setObject(3, OffsetDateTime.now());
          ps.addBatch();
        }
        ps.executeBatch();
      }
      c.commit();
      c.setAutoCommit(true);
      try (Statement s = c.createStatement();
          ResultSet r = s.executeQuery("SELECT payload FROM webhook_event")) {
        int n = 0;
        while (r.next()) {
          assertThat(r.getString(1)).isEqualTo(payload);
          n++;
        }
        assertThat(n).isEqualTo(20);
      }
      // H2 keeps each LOB stored apart from its row as an entry of its "lobMap".
      MVStore store =
          ((SessionLocal) c.unwrap(JdbcConnection.class).getSession())
              .getDatabase()
              .getStore()
              .getMvStore();
      return store.hasMap("lobMap") ? store.openMap("lobMap").sizeAsLong() : 0;
    } finally {
      db.close();
      deleteDatabase();
    }
  }

  private void deleteDatabase() throws Exception {
    try (var files = java.nio.file.Files.list(dir)) {
      for (Path f : files.toList()) {
        java.nio.file.Files.deleteIfExists(f);
      }
    }
  }
}
