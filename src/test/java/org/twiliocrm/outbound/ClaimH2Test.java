package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.testsupport.TestDatabase;

/** The claim contract on the embedded default database (H2, in memory). */
class ClaimH2Test extends ClaimContract {
  @Override
  TestDatabase.Kind kind() {
    return TestDatabase.Kind.H2;
  }

  @Override
  int concurrentRows() {
    return 400;
  }

  /**
   * H2 answered the plain "due ORDER BY id LIMIT n" by walking the primary key from the first row,
   * so every claim read every row already sent: the claim's cost grew with the table. Its plan must
   * find the candidates through the (status, id) index instead.
   */
  @Test
  void theClaimFindsDueRowsThroughTheStatusIndexNotTheWholeTable() throws Exception {
    String candidates = explain(OutboxStore.h2CandidatesSql(Vendor.H2).replace("?1", "200"));
    assertThat(candidates)
        .contains("OUTBOX_MESSAGE_CLAIM_IDX: STATUS = 'PENDING'")
        .contains("OUTBOX_MESSAGE_CLAIM_IDX: STATUS = 'SENDING'")
        .doesNotContain("PRIMARY_KEY");
    // The locking select looks the candidates up by id, and the update takes the locked ids (no
    // subqueries: H2 runs one again for every row FOR UPDATE re-checks or the update changes).
    String lock =
        explain(
            OutboxStore.h2ClaimSelect(Vendor.H2)
                .replace("?1", "ARRAY[1, 2, 3]")
                .replace("?2", "200"));
    assertThat(lock).contains("PRIMARY_KEY_").contains(": ID IN(1, 2, 3) */");
    assertThat(OutboxStore.claimSql(Vendor.H2))
        .contains("WHERE id = ANY(?3))")
        .doesNotContain("FOR UPDATE");
  }

  private String explain(String sql) throws Exception {
    try (Connection c = database().dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("EXPLAIN " + sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Across statuses the claim still takes the lowest due ids first, and no more than asked. */
  @Test
  void theClaimTakesTheLowestDueIdsAcrossStatuses() throws Exception {
    long retry = rows.insert("r", "channel", "sms", "recipient", "+14155550100", "body", "x");
    rows.exec("UPDATE outbox_message SET status = 'RETRY' WHERE id = " + retry);
    long sent = rows.insert("s", "channel", "sms", "recipient", "+14155550100", "body", "x");
    rows.exec("UPDATE outbox_message SET status = 'SENT' WHERE id = " + sent);
    long later = rows.insert("l", "channel", "sms", "recipient", "+14155550100", "body", "x");
    rows.exec(
        "UPDATE outbox_message SET send_after = DATEADD(HOUR, 1, CURRENT_TIMESTAMP) WHERE id = "
            + later);
    long p1 = rows.insert("p1", "channel", "sms", "recipient", "+14155550100", "body", "x");
    long p2 = rows.insert("p2", "channel", "sms", "recipient", "+14155550100", "body", "x");
    List<OutboxRow> got = store.claim("one", 2, 60_000);
    assertThat(got).extracting(OutboxRow::id).containsExactly(retry, p1);
    assertThat(store.claim("one", 10, 60_000)).extracting(OutboxRow::id).containsExactly(p2);
  }
}
