package org.twiliocrm.crm.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.twiliocrm.db.Database;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The committer on the embedded database with events no rule acted on (the write-back's own records
 * coming back as change events): a stream of them shares commits instead of costing one durable
 * commit each, their replay id is still stored, and a flush does not wait for the linger.
 */
class CrmEventCommitterLingerTest {
  private static final String CH = "/data/ChangeEvents";
  private final Database db = Database.open(TestDatabase.h2("linger").config());
  private final CrmEventStore store =
      new CrmEventStore(db.dataSource(), CrmEventMetrics.standalone(), "+15005550006", false);
  private final CrmEventCommitter committer = new CrmEventCommitter(store, 0, o -> {});
  private final ScheduledExecutorService source = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void close() throws Exception {
    source.shutdownNow();
    committer.stop();
    db.close();
  }

  @Test
  void eventsNoRuleActedOnShareCommitsAndTheirReplayIdIsStored() throws Exception {
    committer.start();
    // 60 events, one every 5 ms (about 300 s, like the write-back's echo under load): each
    // arrives alone, so without the linger each was a commit of its own.
    AtomicLong next = new AtomicLong(1);
    ScheduledFuture<?> stream =
        source.scheduleAtFixedRate(
            () -> {
              long id = next.getAndIncrement();
              if (id <= 60) {
                try {
                  committer.submit(new EventOutcome(CH, id, List.of()));
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            },
            0,
            5,
            TimeUnit.MILLISECONDS);
    await().atMost(Duration.ofSeconds(30)).until(() -> next.get() > 60);
    stream.cancel(false);
    assertThat(committer.flush(10_000)).isTrue();
    assertThat(store.replayId(CH)).contains(60L);
    assertThat(committer.commits()).as("commits for 60 replay-id-only events").isLessThan(10);
  }

  @Test
  void anEventThatWritesSomethingCommitsWithTheWaitingOnesInOrder() throws Exception {
    committer.start();
    for (long id = 1; id <= 5; id++) {
      committer.submit(new EventOutcome(CH, id, List.of()));
    }
    committer.submit(
        new EventOutcome(
            CH,
            6L,
            List.of(
                new Decision.Send(
                    "linger-6", "sms", "+14155550166", "hi", null, null, null, null))));
    // The send is committed without a flush, and with it the replay id of the events before it.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              try (var c = db.dataSource().getConnection();
                  var rs =
                      c.createStatement()
                          .executeQuery(
                              "SELECT COUNT(*) FROM outbox_message WHERE idempotency_key ="
                                  + " 'linger-6'")) {
                return rs.next() && rs.getInt(1) == 1;
              }
            });
    assertThat(store.replayId(CH)).contains(6L);
  }
}
