package org.twiliocrm.preflight;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * Preflight on PostgreSQL says whether autovacuum looks after the connector's tables: the server's
 * own setting as it is (this machine's test server may run with it off), and a table of the
 * connector's schema where it was switched off.
 */
class AutovacuumCheckIT {
  private static Check autovacuum(TestDatabase schema, boolean live) {
    List<Check> checks = new DatabaseChecks(schema.config(), live).run();
    return checks.stream().filter(c -> c.name().equals("autovacuum")).findFirst().orElseThrow();
  }

  @Test
  void reportsTheServerSettingAndATableWhereItIsOff() throws Exception {
    try (TestDatabase schema = TestDatabase.postgres("autovacuum");
        Database db = schema.open(2)) {
      boolean serverOn = "on".equals(schema.string("SHOW autovacuum"));
      Check before = autovacuum(schema, true);
      if (serverOn) {
        assertThat(before.status()).isEqualTo(Check.Status.PASS);
      } else {
        assertThat(before.status()).isEqualTo(Check.Status.WARN);
        assertThat(before.detail()).contains("autovacuum is off on the server");
      }
      try (Connection c = schema.connect();
          Statement s = c.createStatement()) {
        s.execute("ALTER TABLE outbox_message SET (autovacuum_enabled = false)");
      }
      Check after = autovacuum(schema, true);
      assertThat(after.status()).isEqualTo(Check.Status.WARN);
      assertThat(after.detail()).contains("autovacuum_enabled=false on outbox_message");
      assertThat(after.fix()).contains("autovacuum = on");
      // In sandbox mode the same finding is a skipped line that says live mode wants it.
      Check sandbox = autovacuum(schema, false);
      assertThat(sandbox.status()).isEqualTo(Check.Status.SKIP);
      assertThat(sandbox.detail()).contains("outbox_message").contains("recommended in live mode");
    }
  }
}
