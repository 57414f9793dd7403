package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The claim semantics every supported database must show. Subclasses name their vendor; each class
 * gets a fresh database of it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ClaimContract {
  abstract TestDatabase.Kind kind();

  private TestDatabase testDb;
  private Database db;

  @BeforeAll
  void open() {
    testDb = TestDatabase.of(kind(), "claim");
    db = testDb.open(kind() == TestDatabase.Kind.POSTGRES ? 30 : 20);
  }

  @AfterAll
  void close() {
    db.close();
    testDb.close();
  }

  Database database() {
    return db;
  }

  /** Rows for the concurrency test; H2 claims slowly under contention, so it uses fewer. */
  int concurrentRows() {
    return 2000;
  }

  OutboxStore store;
  Rows rows;

  @BeforeEach
  void clean() {
    store = new OutboxStore(database().dataSource(), database().vendor());
    rows = new Rows(database().dataSource());
    rows.exec("DELETE FROM outbox_attempt");
    rows.exec("DELETE FROM outbox_message");
  }

  @Test
  void concurrentClaimersGetDisjointRowsAndEveryRowOnce() throws Exception {
    int n = concurrentRows();
    rows.insertSms("k", n, "+14155550100", "+15005550006");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Callable<List<Long>>> claimers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      String owner = "owner-" + t;
      claimers.add(
          () -> {
            List<Long> mine = new ArrayList<>();
            while (true) {
              List<OutboxRow> got = store.claim(owner, 50, 60_000);
              if (got.isEmpty()) {
                return mine;
              }
              got.forEach(r -> mine.add(r.id()));
            }
          });
    }
    List<Long> all = Collections.synchronizedList(new ArrayList<>());
    for (Future<List<Long>> f : pool.invokeAll(claimers)) {
      all.addAll(f.get());
    }
    pool.shutdown();
    assertThat(all).hasSize(n).doesNotHaveDuplicates();
    assertThat(rows.count("status = 'SENDING' AND attempts = 1 AND lease_owner IS NOT NULL"))
        .isEqualTo(n);
  }

  /**
   * A claimer whose first due rows are locked by another claim still in progress takes the next due
   * rows, so replicas (or threads) claiming at once share the work. On H2 a claim once read only as
   * many candidates as it wanted: all locked, it came back empty, and under load one process took
   * every row (a CI run of PacingH2IT had pace-b send all 100).
   */
  @Test
  void aClaimSkipsRowsAnotherClaimHoldsAndTakesTheNextDueRows() throws Exception {
    // 200 rows, not 10: on a ten-row table MariaDB's optimizer reads the whole table for the
    // holder's five ids, and InnoDB then locks every row it read, so the holder held all ten and
    // the claim rightly found none free. With more rows it looks the five up by key, as a claim
    // does.
    rows.insertSms("lock", 200, "+14155550100", "+15005550006");
    List<Long> ids = new ArrayList<>();
    rows.query("SELECT id FROM outbox_message ORDER BY id")
        .forEach(r -> ids.add(((Number) r.get("id")).longValue()));
    try (java.sql.Connection other = database().dataSource().getConnection()) {
      other.setAutoCommit(false);
      try (java.sql.PreparedStatement ps =
          other.prepareStatement(
              // The ids themselves, not a range: InnoDB would also lock the next key.
              "SELECT id FROM outbox_message WHERE id IN (?, ?, ?, ?, ?) FOR UPDATE")) {
        for (int i = 0; i < 5; i++) {
          ps.setLong(i + 1, ids.get(i));
        }
        try (java.sql.ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            // Locks the first five rows until rollback.
          }
        }
      }
      try {
        assertThat(store.claim("two", 5, 60_000))
            .extracting(OutboxRow::id)
            .containsExactlyElementsOf(ids.subList(5, 10));
      } finally {
        other.rollback();
      }
    }
    assertThat(store.claim("three", 5, 60_000))
        .extracting(OutboxRow::id)
        .containsExactlyElementsOf(ids.subList(0, 5));
  }

  @Test
  void aClaimedRowIsNotClaimedAgainWhileItsLeaseHolds() throws Exception {
    long id = rows.insert("a", "channel", "sms", "recipient", "+14155550100", "body", "x");
    List<OutboxRow> first = store.claim("one", 10, 60_000);
    assertThat(first).extracting(OutboxRow::id).containsExactly(id);
    assertThat(first.get(0).claimedAs()).isEqualTo("SENDING");
    assertThat(store.claim("two", 10, 60_000)).isEmpty();
  }

  @Test
  void anExpiredLeaseIsReclaimedForReconciliationAndFencesTheOldOwner() throws Exception {
    long id = rows.insert("b", "channel", "sms", "recipient", "+14155550100", "body", "x");
    OutboxRow first = store.claim("crashed", 10, 100).get(0);
    List<OutboxRow> again = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> again.addAll(store.claim("survivor", 10, 60_000)));
    assertThat(again).extracting(OutboxRow::id).containsExactly(id);
    // It may have been sent before the crash: look it up before any resend.
    assertThat(again.get(0).claimedAs()).isEqualTo("RECONCILING");
    assertThat(again.get(0).attempts()).isEqualTo(1);
    // The old owner's late result is not written over the new owner's claim.
    int written =
        store.record(
            List.of(
                new OutboxStore.Result(
                    first, 1, Outcome.sent("SMold", "queued", 1, null), List.of())),
            "crashed");
    assertThat(written).isZero();
    assertThat(rows.row(id).get("lease_owner")).isEqualTo("survivor");
  }

  @Test
  void sendAfterIsHonoured() throws Exception {
    Timestamp later = Timestamp.from(Instant.now().plus(Duration.ofHours(2)));
    Timestamp earlier = Timestamp.from(Instant.now().minus(Duration.ofHours(2)));
    long future =
        rows.insert("f", "channel", "sms", "recipient", "+1415", "body", "x", "send_after", later);
    long past =
        rows.insert(
            "p", "channel", "sms", "recipient", "+1415", "body", "x", "send_after", earlier);
    List<OutboxRow> got = store.claim("one", 10, 60_000);
    assertThat(got).extracting(OutboxRow::id).containsExactly(past).doesNotContain(future);
    assertThat(rows.status(future)).isEqualTo("PENDING");
  }

  @Test
  void recordingWritesTheOutcomeAndTheAttemptLogAndRetriesWaitForTheirTime() throws Exception {
    long sent = rows.insert("s", "channel", "sms", "recipient", "+1415", "body", "x");
    long retry = rows.insert("r", "channel", "sms", "recipient", "+1415", "body", "x");
    List<OutboxRow> got = store.claim("me", 10, 60_000);
    assertThat(got).hasSize(2);
    OutboxRow s = got.get(0).id() == sent ? got.get(0) : got.get(1);
    OutboxRow r = got.get(0).id() == retry ? got.get(0) : got.get(1);
    int written =
        store.record(
            List.of(
                new OutboxStore.Result(
                    s,
                    1,
                    Outcome.sent("SM123", "queued", 2, null),
                    List.of(new Attempt(sent, 1, "SEND", "SENT", "SM123", 201, null, null, 5))),
                new OutboxStore.Result(
                    r, 1, Outcome.retry("UNAVAILABLE", "503", 20503, 3_600_000), List.of())),
            "me");
    assertThat(written).isEqualTo(2);
    assertThat(rows.row(sent))
        .containsEntry("status", "SENT")
        .containsEntry("twilio_sid", "SM123")
        .containsEntry("twilio_status", "queued")
        .containsEntry("num_segments", 2)
        .containsEntry("lease_owner", null);
    assertThat(rows.row(sent).get("sent_at")).isNotNull();
    assertThat(rows.attempts(sent)).hasSize(1);
    assertThat(rows.row(retry))
        .containsEntry("status", "RETRY")
        .containsEntry("error_code", 20503)
        .containsEntry("reason_code", "UNAVAILABLE");
    // Due in an hour: not claimable now.
    assertThat(store.claim("me", 10, 60_000)).isEmpty();
    rows.exec("UPDATE outbox_message SET next_attempt_at = NULL WHERE id = " + retry);
    List<OutboxRow> again = store.claim("me", 10, 60_000);
    assertThat(again).extracting(OutboxRow::id).containsExactly(retry);
    assertThat(again.get(0).attempts()).isEqualTo(2);
    assertThat(again.get(0).claimedAs()).isEqualTo("SENDING");
  }

  @Test
  void aDuplicateIdempotencyKeyIsRejectedByTheDatabase() {
    rows.insert("same", "channel", "sms", "recipient", "+1415", "body", "x");
    assertThatThrownBy(() -> rows.insert("same", "channel", "sms", "recipient", "+1415"))
        .isInstanceOf(IllegalStateException.class);
    assertThat(rows.count("idempotency_key = 'same'")).isEqualTo(1);
  }

  @Test
  void anUnknownChannelIsRejectedByTheDatabase() {
    assertThatThrownBy(() -> rows.insert("c", "channel", "fax", "recipient", "+1415"))
        .isInstanceOf(IllegalStateException.class);
    Set<Object> none = new HashSet<>(rows.query("SELECT id FROM outbox_message"));
    assertThat(none).isEmpty();
  }
}
