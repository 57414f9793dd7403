package org.twiliocrm.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.testsupport.TestDatabase;

/** The per-vendor migrations create the same tables with the same columns on every database. */
class MigrationsIT {

  @Test
  void sameTablesAndColumnsOnH2PostgresAndMariaDb() throws Exception {
    Map<String, Set<String>> h2 = schemaOf(TestDatabase.h2("mig").config());
    Map<String, Set<String>> pg = schemaOf(TestDatabase.postgres("mig").config());
    Map<String, Set<String>> maria = schemaOf(TestDatabase.mariadb("mig").config());
    assertThat(h2).containsKeys("consent", "connector_state");
    assertThat(pg).isEqualTo(h2);
    assertThat(maria).isEqualTo(h2);
  }

  @Test
  void migratingTwiceIsANoOp() {
    ConnectorConfig.Db cfg = TestDatabase.postgres("mig2").config();
    try (Database first = Database.open(cfg)) {
      assertThat(first.isUsable(2)).isTrue();
    }
    try (Database second = Database.open(cfg)) {
      assertThat(second.isUsable(2)).isTrue();
    }
  }

  @Test
  void unreachableDatabaseFailsWithReadableMessage() {
    ConnectorConfig.Db cfg =
        new ConnectorConfig.Db(
            "jdbc:postgresql://127.0.0.1:1/none",
            "x",
            "secret-pw",
            2,
            java.time.Duration.ofMillis(500),
            java.time.Duration.ofSeconds(1),
            true);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Database.open(cfg))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("jdbc:postgresql://127.0.0.1:1/none is not usable")
        .hasMessageNotContaining("secret-pw");
  }

  /**
   * A status change bumps message_state.crm_version and a write-back sets crm_synced_version: an
   * index holding either would be rewritten at a random key for every row, every time (issue 20,
   * V103). The dirty index (crm_dirty_since) is the one the write-back reads.
   */
  @Test
  void noIndexOfMessageStateHoldsTheCrmVersionsOnAnyDatabase() throws Exception {
    for (TestDatabase d :
        java.util.List.of(
            TestDatabase.h2("idx"), TestDatabase.postgres("idx"), TestDatabase.mariadb("idx"))) {
      Map<String, Set<String>> indexes = new TreeMap<>();
      try (Database db = Database.open(d.config());
          Connection c = db.dataSource().getConnection()) {
        DatabaseMetaData md = c.getMetaData();
        String table = md.storesUpperCaseIdentifiers() ? "MESSAGE_STATE" : "message_state";
        try (ResultSet rs = md.getIndexInfo(c.getCatalog(), c.getSchema(), table, false, false)) {
          while (rs.next()) {
            if (rs.getString("INDEX_NAME") == null || rs.getString("COLUMN_NAME") == null) {
              continue;
            }
            indexes
                .computeIfAbsent(
                    rs.getString("INDEX_NAME").toLowerCase(Locale.ROOT), i -> new TreeSet<>())
                .add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
          }
        }
      }
      assertThat(indexes).as(d.url()).containsKey("message_state_dirty_idx");
      assertThat(indexes.values())
          .as(d.url() + ": " + indexes)
          .noneMatch(cols -> cols.contains("crm_version") || cols.contains("crm_synced_version"));
    }
  }

  private static Map<String, Set<String>> schemaOf(ConnectorConfig.Db cfg) throws Exception {
    Map<String, Set<String>> tables = new TreeMap<>();
    try (Database db = Database.open(cfg);
        Connection c = db.dataSource().getConnection()) {
      DatabaseMetaData md = c.getMetaData();
      String catalog = c.getCatalog();
      String schema = c.getSchema();
      try (ResultSet rs = md.getColumns(catalog, schema, "%", "%")) {
        while (rs.next()) {
          String table = rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
          if (table.equals("connector_schema_history")) {
            continue;
          }
          tables
              .computeIfAbsent(table, t -> new TreeSet<>())
              .add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
        }
      }
    }
    return tables;
  }
}
