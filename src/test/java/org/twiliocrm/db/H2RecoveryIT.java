package org.twiliocrm.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twiliocrm.config.ConnectorConfig;

/**
 * An H2 file left open by a process that died is checked at the next start, and an index that no
 * longer matches its table is rebuilt.
 *
 * <p>The damaged file is real: {@code src/test/resources/h2/torn-index.mv.db.gz} is what {@code
 * bash bench/run h2-kill} left after a SIGKILL on 5 December 2026 (H2 2.5.252), with its webhook
 * events deleted and the file compacted (SHUTDOWN COMPACT copies the damage as it is) so that it is
 * small. Its outbox has 2,800 rows, and its indexes on the columns a claim changes hold 2,782 of
 * them: 1,062 rows are PENDING, and the claim's index finds 1,059, so 3 would never have been sent.
 * If an H2 upgrade cannot open the file, make a new one with the bench (it keeps the directory of a
 * cycle that found damage) and note it here.
 */
class H2RecoveryIT {

  @Test
  void anIndexThatLostRowsInACrashIsRebuiltAtTheNextStart(@TempDir Path dir) throws Exception {
    try (var in =
        new java.util.zip.GZIPInputStream(
            Files.newInputStream(Path.of("src/test/resources/h2/torn-index.mv.db.gz")))) {
      Files.copy(in, dir.resolve("connector.mv.db"));
    }
    String url = "jdbc:h2:file:" + dir.resolve("connector") + ";AUTO_SERVER=TRUE";

    // The damage, as the claim sees it: PENDING rows the table has and its index does not.
    try (Connection c = DriverManager.getConnection(url)) {
      assertThat(pending(c, "USE INDEX (OUTBOX_MESSAGE_CLAIM_IDX)"))
          .as("the file is damaged as described")
          .isLessThan(pending(c, "USE INDEX ()"));
    }

    try (Database db = Database.open(cfg(url))) {
      H2Recovery.Report report = db.h2Recovery();
      assertThat(report.uncleanStop()).isTrue();
      assertThat(report.rebuilt())
          .contains(
              "OUTBOX_MESSAGE.OUTBOX_MESSAGE_CLAIM_IDX",
              "OUTBOX_MESSAGE.OUTBOX_MESSAGE_UPDATED_IDX")
          .doesNotContain("OUTBOX_MESSAGE.OUTBOX_MESSAGE_IDEMPOTENCY_KEY_UQ_INDEX_D");
      try (Connection c = db.dataSource().getConnection()) {
        assertThat(pending(c, "USE INDEX (OUTBOX_MESSAGE_CLAIM_IDX)"))
            .isEqualTo(pending(c, "USE INDEX ()"))
            .isEqualTo(1062);
        HashMap<String, Object[]> tables = new HashMap<>();
        for (H2Recovery.IndexDef index : H2Recovery.indexes(c)) {
          assertThat(H2Recovery.matches(c, index, tables)).as(index.name()).isNotEqualTo(false);
        }
        // The outbox can claim them again.
        assertThat(
                new org.twiliocrm.outbound.OutboxStore(db.dataSource(), db.vendor())
                    .claim("after-crash", 2000, 60_000))
            .hasSize(1062);
      }
    }

    // Closed cleanly this time: the next start has nothing to check.
    try (Database db = Database.open(cfg(url))) {
      assertThat(db.h2Recovery().uncleanStop()).isFalse();
      assertThat(db.h2Recovery().checked()).isZero();
    }
  }

  @Test
  void aFileLeftOpenIsCheckedAndAHealthyOneIsLeftAsItIs(@TempDir Path dir) throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("connector") + ";AUTO_SERVER=TRUE";
    try (Database db = Database.open(cfg(url))) {
      assertThat(db.h2Recovery().uncleanStop()).as("a new file").isFalse();
      // A second Database of the same process (as tests open) is not taken for a stop.
      try (Database again = Database.open(cfg(url))) {
        assertThat(again.h2Recovery().uncleanStop()).isFalse();
      }
      try (Connection c = db.dataSource().getConnection();
          Statement st = c.createStatement()) {
        st.executeUpdate(
            "INSERT INTO outbox_message (idempotency_key, channel, recipient, body) VALUES"
                + " ('k1', 'sms', '+14155550100', 'hello')");
        // What a process killed while it owned the file leaves behind.
        st.executeUpdate(
            "INSERT INTO CONNECTOR_H2_OPEN (owner, opened_at) VALUES ('1@gone',"
                + " CURRENT_TIMESTAMP)");
      }
    }
    try (Database db = Database.open(cfg(url))) {
      H2Recovery.Report report = db.h2Recovery();
      assertThat(report.uncleanStop()).isTrue();
      assertThat(report.checked()).isGreaterThan(40);
      // H2 reads the foreign key's index on parent_id for that order, never the unique key's.
      assertThat(report.unchecked())
          .as("not checked")
          .containsExactly("OUTBOX_MESSAGE.OUTBOX_MESSAGE_PARENT_UQ_INDEX_D");
      assertThat(report.rebuilt()).isEmpty();
      try (Connection c = db.dataSource().getConnection();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM CONNECTOR_H2_OPEN")) {
        rs.next();
        assertThat(rs.getLong(1)).as("only this process's note").isEqualTo(1);
      }
    }
  }

  @Test
  void aKeysIndexIsRebuiltUnderTheNameH2GivesItAndStillGuardsTheKey(@TempDir Path dir)
      throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("connector") + ";AUTO_SERVER=TRUE";
    try (Database db = Database.open(cfg(url));
        Connection c = db.dataSource().getConnection()) {
      try (Statement st = c.createStatement()) {
        st.executeUpdate(
            "INSERT INTO outbox_message (idempotency_key, channel, recipient, body) VALUES"
                + " ('k1', 'sms', '+14155550100', 'hello'), ('k2', 'sms', '+14155550100', 'hi')");
      }
      H2Recovery.IndexDef key =
          H2Recovery.indexes(c).stream()
              .filter(i -> i.name().startsWith("OUTBOX_MESSAGE_IDEMPOTENCY_KEY_UQ"))
              .findFirst()
              .orElseThrow();
      H2Recovery.IndexDef now = H2Recovery.rebuild(c, key);
      assertThat(H2Recovery.matches(c, now, new HashMap<>())).isTrue();
      // The key still refuses a second row with the same idempotency key.
      try (Statement st = c.createStatement()) {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () ->
                    st.executeUpdate(
                        "INSERT INTO outbox_message (idempotency_key, channel, recipient, body)"
                            + " VALUES ('k1', 'sms', '+14155550100', 'again')"))
            .isInstanceOf(SQLException.class);
      }
      // A plain index keeps its name.
      H2Recovery.IndexDef claim =
          H2Recovery.indexes(c).stream()
              .filter(i -> i.name().equals("OUTBOX_MESSAGE_CLAIM_IDX"))
              .findFirst()
              .orElseThrow();
      assertThat(H2Recovery.rebuild(c, claim)).isEqualTo(claim);
      assertThat(H2Recovery.matches(c, claim, new HashMap<>())).isTrue();
    }
  }

  private static long pending(Connection c, String hint) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*) FROM (SELECT id FROM outbox_message "
                    + hint
                    + " WHERE status = 'PENDING' ORDER BY id) x")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static ConnectorConfig.Db cfg(String url) {
    return new ConnectorConfig.Db(url, "", "", 4, Duration.ofSeconds(10));
  }
}
