package org.twiliocrm.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import org.h2.jdbcx.JdbcDataSource;
import org.h2.tools.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * H2Housekeeping on a real H2 file with the connector's {@code WRITE_DELAY=0}: a workload shaped
 * like the connector's (rows inserted, updated a few times while recent, then never again) grows
 * the file by every byte written when nothing compacts it, and stops growing when the housekeeping
 * runs between the commits.
 *
 * <p>H2 keeps a freed chunk's space for its retention time (45 s) before using it again; the test
 * sets it to 0 so that the difference shows in seconds. It is the compaction that frees chunks; the
 * retention only delays when their space is used again.
 */
class H2HousekeepingTest {
  @TempDir Path dir;

  @Test
  void theFileStopsGrowingWhenTheHousekeepingRuns() throws Exception {
    File without = churn(dir.resolve("without"), false);
    File with = churn(dir.resolve("with"), true);
    // Measured: without, 624 chunks 26 % live in 16.7 MB; with, 181 chunks 59 % live in 8.1 MB.
    assertThat(without.chunksFillRate()).as("without: %s", without).isLessThan(40);
    assertThat(with.chunksFillRate())
        .as("with: %s", with)
        .isGreaterThanOrEqualTo(H2Housekeeping.TARGET_FILL_RATE);
    assertThat(with.bytes())
        .as("file bytes with housekeeping (%s) against without (%s)", with, without)
        .isLessThan(without.bytes() * 2 / 3);
  }

  /** The file's size and the share of its chunks' space that is live (H2's CHUNKS_FILL_RATE). */
  record File(long bytes, int chunksFillRate, int chunks) {}

  @Test
  void aClientOfAnotherProcesssServerHasNoStoreToCompact() throws Exception {
    Path file = dir.resolve("served");
    Server server = Server.createTcpServer("-tcpPort", "0", "-ifNotExists").start();
    try {
      JdbcDataSource ds = new JdbcDataSource();
      ds.setURL("jdbc:h2:tcp://127.0.0.1:" + server.getPort() + "/" + file);
      try (Connection c = ds.getConnection()) {
        assertThat(H2Housekeeping.store(c)).isNull();
      }
      JdbcDataSource local = new JdbcDataSource();
      local.setURL("jdbc:h2:file:" + dir.resolve("local"));
      try (Connection c = local.getConnection()) {
        assertThat(H2Housekeeping.store(c)).isNotNull();
      }
    } finally {
      server.stop();
    }
  }

  /** 300 rounds: 40 rows in, last round's rows updated twice; returns the file's size. */
  private static File churn(Path base, boolean housekeeping) throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:file:" + base + ";WRITE_DELAY=0");
    try (Connection keep = ds.getConnection();
        Statement st = keep.createStatement()) {
      st.execute("SET RETENTION_TIME 0");
      st.execute(
          "CREATE TABLE t (id BIGINT PRIMARY KEY, status VARCHAR(16), body VARCHAR(400),"
              + " updated BIGINT)");
      st.execute("CREATE INDEX t_status ON t (status, id)");
      // Not started: the test runs each pass itself, between commits.
      H2Housekeeping h = housekeeping ? new H2Housekeeping(ds, "test") : null;
      String body = "x".repeat(300);
      long id = 0;
      try (Connection c = ds.getConnection();
          PreparedStatement ins = c.prepareStatement("INSERT INTO t VALUES (?, 'NEW', ?, 0)");
          PreparedStatement upd =
              c.prepareStatement(
                  "UPDATE t SET status = ?, updated = updated + 1 WHERE id > ? AND id <= ?")) {
        c.setAutoCommit(false);
        for (int round = 0; round < 300; round++) {
          long from = id;
          for (int i = 0; i < 40; i++) {
            ins.setLong(1, ++id);
            ins.setString(2, body);
            ins.addBatch();
          }
          ins.executeBatch();
          c.commit();
          for (String status : new String[] {"SENT", "DONE"}) {
            upd.setString(1, status);
            upd.setLong(2, from);
            upd.setLong(3, id);
            upd.executeUpdate();
            c.commit();
          }
          if (h != null) {
            h.runOnce();
          }
        }
      }
      if (h != null) {
        h.close();
      }
      long size = Files.size(Path.of(base + ".mv.db"));
      int fill = -1;
      int chunks = -1;
      try (var rs =
          st.executeQuery(
              "SELECT SETTING_NAME, SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE"
                  + " SETTING_NAME IN ('info.CHUNKS_FILL_RATE', 'info.CHUNK_COUNT')")) {
        while (rs.next()) {
          int v = Integer.parseInt(rs.getString(2));
          if (rs.getString(1).equals("info.CHUNKS_FILL_RATE")) {
            fill = v;
          } else {
            chunks = v;
          }
        }
      }
      return new File(size, fill, chunks);
    }
  }
}
