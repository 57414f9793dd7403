package org.twiliocrm.crm.approvals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.twiliocrm.db.Database;
import org.twiliocrm.governance.Audit;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * What the Salesforce side of governance reads and marks, on each database the connector supports
 * (its SQL differs per vendor: the audit marker's insert-once): a request is due until the state
 * written matches, a row-count change makes it due again without its status, a refused decision
 * makes it due with its status and note; each audit row is due until marked, and marking twice (two
 * replicas) is harmless.
 */
class ApprovalStoreIT {
  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void requestsAndAuditRowsAreDueUntilWrittenAndMarkingIsIdempotent(TestDatabase.Kind kind)
      throws Exception {
    try (TestDatabase tdb = TestDatabase.of(kind, "apprstore");
        Database db = tdb.open(2)) {
      ApprovalStore store = new ApprovalStore(db.dataSource(), db.vendor());
      tdb.exec(
          "INSERT INTO approval_request (rule_name, campaign, open_key, status, row_count,"
              + " expires_at) VALUES ('bulk', 'c1', 'bulk/c1', 'PENDING', 3, ?)",
          java.sql.Timestamp.from(java.time.Instant.now().plusSeconds(3600)));
      long id = tdb.count("SELECT MAX(id) FROM approval_request");

      List<ApprovalStore.ToWrite> due = store.toWrite(10);
      assertThat(due).hasSize(1);
      assertThat(due.get(0).state()).isEqualTo("PENDING:3");
      assertThat(due.get(0).writeStatus()).as("first write sets Pending").isTrue();
      assertThat(store.pendingInOrg(10)).as("not in the org yet").isEmpty();

      store.written(id, due.get(0).state());
      assertThat(store.toWrite(10)).isEmpty();
      assertThat(store.pendingInOrg(10)).containsExactly(id);

      // More rows joined: due again, without its status (an approver may be deciding).
      tdb.exec("UPDATE approval_request SET row_count = 5 WHERE id = ?", id);
      due = store.toWrite(10);
      assertThat(due).hasSize(1);
      assertThat(due.get(0).state()).isEqualTo("PENDING:5");
      assertThat(due.get(0).writeStatus()).isFalse();
      store.written(id, "PENDING:5");

      // A decision the connector refused: due with its status and the note.
      store.refused(id, "Approval by X refused (four eyes)");
      due = store.toWrite(10);
      assertThat(due.get(0).writeStatus()).isTrue();
      assertThat(due.get(0).note()).contains("four eyes");
      store.written(id, due.get(0).state());

      // Audit rows: due until marked, marking twice changes nothing.
      try (var c = db.dataSource().getConnection()) {
        Audit.append(
            c,
            Audit.Entry.of("alice", Audit.Action.APPROVED, "approval_request", "1", "a", "b", ""));
        Audit.append(
            c, Audit.Entry.of("bob", Audit.Action.REJECTED, "approval_request", "2", "a", "b", ""));
      }
      List<Audit.Entry> audit = store.auditToWrite(10);
      assertThat(audit).extracting(Audit.Entry::actor).contains("alice", "bob");
      int before = audit.size();
      List<Long> first = List.of(audit.get(0).id());
      store.auditWritten(first);
      store.auditWritten(first);
      assertThat(store.auditToWrite(10)).hasSize(before - 1);
      store.auditWritten(audit.stream().map(Audit.Entry::id).toList());
      assertThat(store.auditToWrite(10)).isEmpty();
      assertThat(tdb.count("SELECT COUNT(*) FROM governance_audit_crm")).isEqualTo(before);
    }
  }
}
