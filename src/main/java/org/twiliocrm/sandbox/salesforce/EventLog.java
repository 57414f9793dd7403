package org.twiliocrm.sandbox.salesforce;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retained streaming events with increasing replay ids, kept in memory and appended to a JSON-lines
 * file so they survive a restart of the sandbox. Events older than the retention period are
 * dropped; a replay id from before the oldest dropped event is "too old".
 */
public final class EventLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
  private static final String FILE = "events.jsonl";

  /** One retained event: the CometD message data plus bookkeeping. */
  public record StoredEvent(
      long replayId, String channel, long createdMillis, Map<String, Object> data) {}

  /**
   * How an event is kept: its data as the JSON the file holds, parsed again only for a replay. A
   * change event's nested maps took about 1.5 kB of heap against a few hundred bytes as JSON, and
   * the log keeps up to {@code event-retention-max} (20,000) of them: most of a long sandbox run's
   * live heap after the records themselves.
   */
  private record Retained(long replayId, String channel, long createdMillis, byte[] json) {}

  private final Path file;
  private final Clock clock;
  private final Duration retention;
  private final int maxEvents;
  private final ObjectMapper json = new ObjectMapper();
  private final Deque<Retained> events = new ArrayDeque<>();
  private BufferedWriter writer;
  private boolean dirty;
  private java.util.concurrent.ScheduledExecutorService flusher;
  private long lastReplayId;
  private long purgedUpTo;

  /** Events dropped over the cap since the file was last rewritten. */
  private int dropped;

  public EventLog(Path dataDir, Clock clock, Duration retention) {
    this(dataDir, clock, retention, Integer.MAX_VALUE);
  }

  /** {@code maxEvents}: most events kept; beyond it the oldest go as if they had expired. */
  public EventLog(Path dataDir, Clock clock, Duration retention, int maxEvents) {
    this.file = dataDir.resolve(FILE);
    this.clock = clock;
    this.retention = retention;
    this.maxEvents = maxEvents;
  }

  /** Loads retained events from disk, drops expired ones and compacts the file. */
  public synchronized void open() {
    try {
      Files.createDirectories(file.getParent());
      if (Files.exists(file)) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (line.isBlank()) {
            continue;
          }
          try {
            Map<String, Object> m = json.readValue(line, new TypeReference<>() {});
            if (m.containsKey("meta")) {
              @SuppressWarnings("unchecked")
              Map<String, Object> meta = (Map<String, Object>) m.get("meta");
              lastReplayId =
                  Math.max(lastReplayId, ((Number) meta.get("lastReplayId")).longValue());
              purgedUpTo = Math.max(purgedUpTo, ((Number) meta.get("purgedUpTo")).longValue());
              continue;
            }
            Retained e =
                new Retained(
                    ((Number) m.get("replayId")).longValue(),
                    (String) m.get("channel"),
                    ((Number) m.get("createdMillis")).longValue(),
                    json.writeValueAsBytes(m.get("data")));
            events.addLast(e);
            lastReplayId = Math.max(lastReplayId, e.replayId());
          } catch (IOException | RuntimeException e) {
            // A torn last line after a crash must not stop the org from starting.
            LOG.warn("Skipping unreadable line in {}: {}", file, e.getMessage());
          }
        }
      }
      purgeExpired();
      rewrite();
      // Appends are flushed in the background every 20 ms (and on close): a flush per event
      // cost more than the rest of a REST write, and a sandbox may lose 20 ms of events on kill -9.
      flusher =
          java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "sf-sandbox-event-log");
                t.setDaemon(true);
                return t;
              });
      flusher.scheduleWithFixedDelay(
          this::flushIfDirty, 20, 20, java.util.concurrent.TimeUnit.MILLISECONDS);
      LOG.info(
          "Salesforce sandbox event log: {} retained events, last replayId {}",
          events.size(),
          lastReplayId);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open event log " + file, e);
    }
  }

  /** Appends an event; {@code dataFor} builds the message data for the assigned replay id. */
  public synchronized StoredEvent append(
      String channel, LongFunction<Map<String, Object>> dataFor) {
    purgeExpired();
    long id = ++lastReplayId;
    StoredEvent e = new StoredEvent(id, channel, clock.millis(), dataFor.apply(id));
    Retained kept;
    try {
      kept = new Retained(id, channel, e.createdMillis(), json.writeValueAsBytes(e.data()));
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot serialise event " + id + " on " + channel, ex);
    }
    events.addLast(kept);
    write(kept);
    while (events.size() > maxEvents) {
      purgedUpTo = Math.max(purgedUpTo, events.removeFirst().replayId());
      dropped++;
    }
    if (dropped >= maxEvents) {
      // The file keeps every line until it is rewritten: rewrite it once it holds twice the cap.
      rewrite();
      dropped = 0;
    }
    return e;
  }

  /** Retained events of a channel after the given replay id (-2 = all retained). */
  public synchronized List<StoredEvent> after(String channel, long replayId) {
    purgeExpired();
    List<StoredEvent> out = new ArrayList<>();
    for (Retained e : events) {
      if (e.replayId() > replayId && channelMatches(channel, e.channel())) {
        out.add(stored(e));
      }
    }
    return out;
  }

  /** {@code /data/ChangeEvents} carries the change events of every enabled object. */
  static boolean channelMatches(String subscribed, String eventChannel) {
    return subscribed.equals(eventChannel)
        || ("/data/ChangeEvents".equals(subscribed) && eventChannel.startsWith("/data/"));
  }

  /**
   * Whether a subscriber may replay from this id: -1 and -2 always; otherwise the id must have been
   * issued and nothing after it may have expired.
   */
  public synchronized boolean isValidReplayId(long replayId) {
    purgeExpired();
    if (replayId == -1 || replayId == -2) {
      return true;
    }
    return replayId >= 0 && replayId <= lastReplayId && replayId >= purgedUpTo;
  }

  public synchronized List<StoredEvent> all() {
    purgeExpired();
    List<StoredEvent> out = new ArrayList<>(events.size());
    for (Retained e : events) {
      out.add(stored(e));
    }
    return out;
  }

  private StoredEvent stored(Retained e) {
    try {
      return new StoredEvent(
          e.replayId(),
          e.channel(),
          e.createdMillis(),
          json.readValue(e.json(), new TypeReference<Map<String, Object>>() {}));
    } catch (IOException ex) {
      // Bytes this log wrote itself: unreadable means a bug, not bad input.
      throw new UncheckedIOException("cannot read retained event " + e.replayId(), ex);
    }
  }

  public synchronized long lastReplayId() {
    return lastReplayId;
  }

  /** Test hook: pretends every retained event is {@code hours} older, then applies retention. */
  public synchronized void age(Duration by) {
    List<Retained> aged = new ArrayList<>();
    for (Retained e : events) {
      aged.add(
          new Retained(e.replayId(), e.channel(), e.createdMillis() - by.toMillis(), e.json()));
    }
    events.clear();
    events.addAll(aged);
    purgeExpired();
    rewrite();
  }

  /** Forgets all events and restarts replay ids. */
  public synchronized void clear() {
    events.clear();
    lastReplayId = 0;
    purgedUpTo = 0;
    rewrite();
  }

  private void purgeExpired() {
    long cutoff = clock.millis() - retention.toMillis();
    while (!events.isEmpty()
        && (events.peekFirst().createdMillis() < cutoff || events.size() > maxEvents)) {
      purgedUpTo = Math.max(purgedUpTo, events.removeFirst().replayId());
    }
  }

  private void write(Retained e) {
    try {
      // The line as {"replayId":..,"channel":..,"createdMillis":..,"data":{..}}, the data's JSON
      // copied in as it is kept rather than serialised a second time.
      writer.write("{\"replayId\":");
      writer.write(Long.toString(e.replayId()));
      writer.write(",\"channel\":");
      writer.write(json.writeValueAsString(e.channel()));
      writer.write(",\"createdMillis\":");
      writer.write(Long.toString(e.createdMillis()));
      writer.write(",\"data\":");
      writer.write(new String(e.json(), StandardCharsets.UTF_8));
      writer.write('}');
      writer.newLine();
      dirty = true;
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot append to event log " + file, ex);
    }
  }

  private void rewrite() {
    try {
      if (writer != null) {
        writer.close();
      }
      Path tmp = file.resolveSibling(FILE + ".tmp");
      try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        w.write(
            json.writeValueAsString(
                Map.of("meta", Map.of("lastReplayId", lastReplayId, "purgedUpTo", purgedUpTo))));
        w.newLine();
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      writer =
          Files.newBufferedWriter(
              file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      for (Retained e : events) {
        write(e);
      }
      writer.flush();
      dirty = false;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite event log " + file, e);
    }
  }

  private synchronized void flushIfDirty() {
    if (dirty && writer != null) {
      try {
        writer.flush();
        dirty = false;
      } catch (IOException e) {
        LOG.warn("Flushing event log {} failed: {}", file, e.getMessage());
      }
    }
  }

  @Override
  public synchronized void close() {
    if (flusher != null) {
      flusher.shutdownNow();
      flusher = null;
    }
    try {
      if (writer != null) {
        writer.close();
        writer = null;
      }
    } catch (IOException e) {
      LOG.warn("Closing event log {} failed: {}", file, e.getMessage());
    }
  }
}
