package org.twiliocrm.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The write-back's claims (message records and CRM actions) on each supported database: replicas
 * claiming at the same time get disjoint sets, a claimed row is invisible to the others until its
 * result is recorded (which clears the lease) or its lease runs out, and a released row is due
 * again at once.
 */
class WritebackLeaseIT {
  private static final int ROWS = 600;
  private static final int REPLICAS = 4;

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void concurrentClaimsAreDisjointAndLeasesHold(TestDatabase.Kind kind) throws Exception {
    try (TestDatabase tdb = TestDatabase.of(kind, "wb_lease");
        Database db = tdb.open(REPLICAS * 2 + 2)) {
      MessageStateStore states = new MessageStateStore(db.dataSource());
      CrmActionQueue actions = new CrmActionQueue(db.dataSource());
      Timestamp now = Timestamp.from(Instant.now().minusSeconds(1));
      try (Connection c = db.dataSource().getConnection()) {
        try (PreparedStatement p =
            c.prepareStatement(
                "INSERT INTO message_state (message_sid, direction, status, created_at,"
                    + " updated_at, crm_version, crm_dirty_since) VALUES (?, 'inbound',"
                    + " 'received', ?, ?, 1, ?)")) {
          for (int i = 0; i < ROWS; i++) {
            p.setString(1, "SM" + String.format("%032x", i));
            p.setTimestamp(2, now);
            p.setTimestamp(3, now);
            p.setTimestamp(4, now);
            p.addBatch();
          }
          p.executeBatch();
        }
        for (int i = 0; i < ROWS; i++) {
          actions.add(
              c, new CrmAction(0, CrmAction.TASK, "SM" + i, "+1415", "Contact", "003x", "d"), now);
        }
      }

      // REPLICAS claimers at once, each claiming small batches until nothing is left.
      Map<String, String> stateOwner = new ConcurrentHashMap<>();
      Map<Long, String> actionOwner = new ConcurrentHashMap<>();
      AtomicInteger stateDoubles = new AtomicInteger();
      AtomicInteger actionDoubles = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(REPLICAS);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int r = 0; r < REPLICAS; r++) {
          String owner = "replica-" + r;
          fs.add(
              pool.submit(
                  () -> {
                    while (true) {
                      List<MessageStateStore.Dirty> d =
                          states.claimDirty(owner, 25, Duration.ofMinutes(2));
                      List<CrmAction> a =
                          actions.claim(List.of(CrmAction.TASK), 25, owner, Duration.ofMinutes(2));
                      if (d.isEmpty() && a.isEmpty()) {
                        return null;
                      }
                      for (MessageStateStore.Dirty x : d) {
                        if (stateOwner.putIfAbsent(x.sid(), owner) != null) {
                          stateDoubles.incrementAndGet();
                        }
                      }
                      for (CrmAction x : a) {
                        if (actionOwner.putIfAbsent(x.id(), owner) != null) {
                          actionDoubles.incrementAndGet();
                        }
                      }
                    }
                  }));
        }
        for (Future<?> f : fs) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      System.out.printf(
          "write-back claims on %s: %d records and %d actions claimed by %s replicas%n",
          kind,
          stateOwner.size(),
          actionOwner.size(),
          stateOwner.values().stream().distinct().count());
      assertThat(stateDoubles.get()).as("records claimed twice").isZero();
      assertThat(actionDoubles.get()).as("actions claimed twice").isZero();
      assertThat(stateOwner).hasSize(ROWS);
      assertThat(actionOwner).hasSize(ROWS);
      // Leased: nothing is due for anyone, not even the plain look.
      assertThat(states.dirty(ROWS)).isEmpty();
      assertThat(states.claimDirty("late", ROWS, Duration.ofMinutes(2))).isEmpty();
      assertThat(actions.claim(List.of(CrmAction.TASK), ROWS, "late", Duration.ofMinutes(2)))
          .isEmpty();

      // Recording a result clears the lease (synced: no longer due); releasing makes it due again.
      String sid0 = "SM" + String.format("%032x", 0);
      String sid1 = "SM" + String.format("%032x", 1);
      states.recordSync(List.of(new MessageStateStore.Synced(sid0, 1)), stateOwner.get(sid0));
      states.release(List.of(sid1), stateOwner.get(sid1));
      assertThat(tdb.count("SELECT COUNT(*) FROM message_state WHERE crm_lease_owner IS NULL"))
          .isEqualTo(2);
      assertThat(states.claimDirty("late", ROWS, Duration.ofMinutes(2)))
          .extracting(MessageStateStore.Dirty::sid)
          .containsExactly(sid1);
      long a0 = actionOwner.keySet().stream().min(Long::compare).orElseThrow();
      actions.record(List.of(a0), List.of(), Instant.now());
      List<Long> others = new ArrayList<>(actionOwner.keySet());
      others.remove(a0);
      Long a1 = others.get(0);
      actions.release(List.of(a1), actionOwner.get(a1));
      assertThat(actions.claim(List.of(CrmAction.TASK), ROWS, "late", Duration.ofMinutes(2)))
          .extracting(CrmAction::id)
          .containsExactly(a1);

      // A dead claimer's lease runs out: its rows are claimable again.
      tdb.exec(
          "UPDATE message_state SET crm_lease_until = ? WHERE crm_lease_owner <> 'late'",
          Timestamp.from(Instant.now().minusSeconds(5)));
      tdb.exec(
          "UPDATE crm_action SET lease_until = ? WHERE lease_owner <> 'late'",
          Timestamp.from(Instant.now().minusSeconds(5)));
      assertThat(states.claimDirty("heir", ROWS, Duration.ofMinutes(2))).hasSize(ROWS - 2);
      assertThat(actions.claim(List.of(CrmAction.TASK), ROWS, "heir", Duration.ofMinutes(2)))
          .hasSize(ROWS - 2);
    }
  }
}
