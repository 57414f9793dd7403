package org.twiliocrm.sandbox.salesforce;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {
  @TempDir Path dir;

  private static final class MutableClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void replayIdsIncreaseAndSurviveReopen() {
    MutableClock clock = new MutableClock();
    EventLog log = new EventLog(dir, clock, Duration.ofHours(72));
    log.open();
    long a = log.append("/event/A__e", id -> Map.of("n", 1)).replayId();
    long b = log.append("/event/B__e", id -> Map.of("n", 2)).replayId();
    long c = log.append("/event/A__e", id -> Map.of("n", 3)).replayId();
    assertThat(a).isLessThan(b).isLessThan(c);
    log.close();

    EventLog reopened = new EventLog(dir, clock, Duration.ofHours(72));
    reopened.open();
    assertThat(reopened.after("/event/A__e", a))
        .extracting(EventLog.StoredEvent::replayId)
        .containsExactly(c);
    assertThat(reopened.after("/event/A__e", -1)).hasSize(2);
    assertThat(reopened.append("/event/A__e", id -> Map.of()).replayId()).isGreaterThan(c);
    reopened.close();
  }

  /**
   * Events are kept as JSON, not as the maps they were built from: a replay in the same process
   * gives back the same data (nested maps and lists, key order, text needing escapes), and the
   * file's lines read back the same after a restart.
   */
  @Test
  void aReplayGivesBackTheDataAsBuilt() {
    MutableClock clock = new MutableClock();
    EventLog log = new EventLog(dir, clock, Duration.ofHours(72));
    log.open();
    Map<String, Object> header = new java.util.LinkedHashMap<>();
    header.put("entityName", "Contact");
    header.put("recordIds", java.util.List.of("003000000000001AAA"));
    header.put("changedFields", java.util.List.of("Phone", "LastModifiedDate"));
    Map<String, Object> payload = new java.util.LinkedHashMap<>();
    payload.put("ChangeEventHeader", header);
    payload.put("Description", "quote \" backslash \\ newline \n é 😀");
    payload.put("Phone", null);
    long id =
        log.append(
                "/data/ContactChangeEvent",
                r -> Map.of("payload", payload, "event", Map.of("replayId", r)))
            .replayId();

    EventLog.StoredEvent replayed = log.after("/data/ChangeEvents", -1).get(0);
    assertThat(replayed.replayId()).isEqualTo(id);
    assertThat(replayed.channel()).isEqualTo("/data/ContactChangeEvent");
    assertThat(replayed.data()).containsEntry("payload", payload);
    assertThat(
            new java.util.ArrayList<Object>(((Map<?, ?>) replayed.data().get("payload")).keySet()))
        .containsExactly("ChangeEventHeader", "Description", "Phone");
    assertThat(((Map<?, ?>) replayed.data().get("event")).get("replayId"))
        .isEqualTo((int) id); // a number, as JSON carries it
    log.close();

    EventLog reopened = new EventLog(dir, clock, Duration.ofHours(72));
    reopened.open();
    assertThat(reopened.all()).containsExactly(replayed);
    reopened.close();
  }

  /**
   * A long run's change events (one per Twilio_Message__c write) stayed in the heap for the whole
   * retention period: beyond the cap the oldest go, as if expired, in memory and in the file.
   */
  @Test
  void beyondTheCapTheOldestEventsGoAsIfExpired() throws Exception {
    MutableClock clock = new MutableClock();
    EventLog log = new EventLog(dir, clock, Duration.ofHours(72), 3);
    log.open();
    long first = log.append("/data/X", id -> Map.of("n", 0)).replayId();
    long last = 0;
    for (int i = 1; i < 10; i++) {
      int n = i;
      last = log.append("/data/X", id -> Map.of("n", n)).replayId();
    }
    assertThat(log.all())
        .extracting(EventLog.StoredEvent::replayId)
        .containsExactly(last - 2, last - 1, last);
    assertThat(log.isValidReplayId(first)).isFalse();
    assertThat(log.isValidReplayId(last - 3)).isTrue(); // the events after it are all there
    log.close();
    // The file is rewritten as events are dropped, so it does not keep every line either.
    assertThat(Files.readAllLines(dir.resolve("events.jsonl")).size()).isLessThanOrEqualTo(1 + 6);
    EventLog reopened = new EventLog(dir, clock, Duration.ofHours(72), 3);
    reopened.open();
    assertThat(reopened.all()).hasSize(3);
    reopened.close();
  }

  @Test
  void retentionMakesOldReplayIdsInvalid() {
    MutableClock clock = new MutableClock();
    EventLog log = new EventLog(dir, clock, Duration.ofHours(72));
    log.open();
    long first = log.append("/event/A__e", id -> Map.of()).replayId();
    clock.now = clock.now.plus(Duration.ofHours(71));
    long second = log.append("/event/A__e", id -> Map.of()).replayId();
    assertThat(log.isValidReplayId(first - 1)).isTrue();
    clock.now = clock.now.plus(Duration.ofHours(2)); // first is now 73 h old
    assertThat(log.isValidReplayId(first - 1)).isFalse();
    assertThat(log.isValidReplayId(first)).isTrue(); // nothing after it was lost
    assertThat(log.isValidReplayId(second + 100)).isFalse(); // never issued
    assertThat(log.isValidReplayId(-1)).isTrue();
    assertThat(log.isValidReplayId(-2)).isTrue();
    assertThat(log.isValidReplayId(-3)).isFalse();
    assertThat(log.after("/event/A__e", -1))
        .extracting(EventLog.StoredEvent::replayId)
        .containsExactly(second);
    log.close();

    EventLog reopened = new EventLog(dir, clock, Duration.ofHours(72));
    reopened.open();
    assertThat(reopened.isValidReplayId(first - 1)).isFalse();
    reopened.close();
  }

  @Test
  void aTornLastLineDoesNotStopTheOrg() throws Exception {
    MutableClock clock = new MutableClock();
    EventLog log = new EventLog(dir, clock, Duration.ofHours(72));
    log.open();
    log.append("/event/A__e", id -> Map.of());
    log.close();
    Files.writeString(
        dir.resolve("events.jsonl"), "{\"replayId\":", java.nio.file.StandardOpenOption.APPEND);
    EventLog reopened = new EventLog(dir, clock, Duration.ofHours(72));
    reopened.open();
    assertThat(reopened.all()).hasSize(1);
    reopened.close();
  }

  @Test
  void changeEventsChannelCarriesEveryObject() {
    assertThat(EventLog.channelMatches("/data/ChangeEvents", "/data/ContactChangeEvent")).isTrue();
    assertThat(EventLog.channelMatches("/data/ChangeEvents", "/event/A__e")).isFalse();
    assertThat(EventLog.channelMatches("/data/LeadChangeEvent", "/data/ContactChangeEvent"))
        .isFalse();
  }
}
