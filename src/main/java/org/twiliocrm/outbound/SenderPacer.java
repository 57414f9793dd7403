package org.twiliocrm.outbound;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.config.DaemonTimer;
import org.twiliocrm.db.Transactions;

/**
 * Route step "pace" of the outbox route (docs/outbox.md#sender-pacing), after the approval gate and
 * before any send: each sender (number, whatsapp:number or Messaging Service) sends at most its
 * rate, summed over every process sharing the database.
 *
 * <p>How: a virtual schedule per sender in table {@code send_pace}. Under that row's lock (one
 * short transaction per sender per claimed batch, not per row) the step books consecutive slots,
 * one every 1/rate seconds on the database clock, from the later of now and the sender's next free
 * slot. A row whose slot has come is sent now; a row whose slot lies ahead goes back to the outbox
 * (PENDING, its claim's attempt undone, reason PACED) with {@code next_attempt_at} at its slot and
 * the slot kept in {@code pace_slot_us}, so the claim that finds it due sends it without booking
 * again. Rows beyond the rate thus wait in the outbox, never in Twilio's queue, and each is put
 * back once, not again and again. Booking ahead rather than refusing (a token bucket's answer) is
 * what keeps several replicas at the rate together: a refused row would come back at a guessed time
 * and race the others for the next token.
 *
 * <p>A row whose booked slot is long past (it was held by another step meanwhile, for example quiet
 * hours) books again, so a release after hours does not send a backlog in one burst. Rows claimed
 * for reconciliation, voice calls and Verify are not paced. On a database error the rows are not
 * sent unpaced: they come back after a short delay (PACING_CHECK_FAILED).
 */
public final class SenderPacer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SenderPacer.class);

  /**
   * A slot this close ahead is sent now. Twilio queues what runs ahead of the rate, so 0.25 s of
   * lead costs a sender at most a quarter second's worth of messages in Twilio's queue, and it
   * spares a fast sender's batch a round trip through the outbox: 200 rows of a 10,000/s sender
   * span 20 ms of slots, which a lead of a few milliseconds would send back one by one.
   */
  static final long LEAD_US = 250_000;

  /** A booked slot older than this is stale (the row waited elsewhere): it books again. */
  static final long STALE_US = 10_000_000;

  private static final Set<String> PACED_CHANNELS = Set.of("sms", "mms", "whatsapp");

  private final DataSource dataSource;
  private final Vendor vendor;
  private final PacingSettings settings;
  private final String owner;
  private final Runnable wake;
  private final Set<String> known = ConcurrentHashMap.newKeySet();

  /** Until when (System.nanoTime) this process has rows booked ahead: the wake ticker runs till. */
  private final AtomicLong wakeUntilNanos = new AtomicLong(System.nanoTime());

  private final DaemonTimer ticker = new DaemonTimer("outbox-pacing-wake");

  /**
   * @param owner this instance's lease owner name (rows are put back only under its lease)
   * @param wake wakes the claimer: called while rows this process booked are coming due, so they
   *     are claimed at their slot rather than at the next poll
   */
  public SenderPacer(
      DataSource dataSource, Vendor vendor, PacingSettings settings, String owner, Runnable wake) {
    this.dataSource = dataSource;
    this.vendor = vendor;
    this.settings = settings;
    this.owner = owner;
    this.wake = wake;
  }

  public PacingSettings settings() {
    return settings;
  }

  /** Starts the wake ticker (only when pacing is on). */
  public synchronized void start() {
    if (!settings.enabled()) {
      return;
    }
    // 50 ms: fine enough for 20 slots a second per wake at most, cheap when nothing is booked.
    ticker.start(new DaemonTimer.Task(this::tick, 50, 50));
  }

  private void tick() {
    if (System.nanoTime() - wakeUntilNanos.get() < 0) {
      wake.run();
    }
  }

  @Override
  public synchronized void close() {
    ticker.close();
  }

  /** Route step over a checked batch. Never throws: a database failure retries the rows later. */
  public List<OutboxWork> paceAll(List<OutboxWork> batch) {
    if (!settings.enabled()) {
      return batch;
    }
    Map<String, List<OutboxWork>> bySender = new LinkedHashMap<>();
    for (OutboxWork w : batch) {
      if (w.isDecided() || w.getRow().reconciling() || !PACED_CHANNELS.contains(w.getChannel())) {
        continue;
      }
      String key = PacingSettings.key(w.getChannel(), w.getFrom(), w.getMessagingServiceSid());
      if (key != null) {
        bySender.computeIfAbsent(key, k -> new ArrayList<>()).add(w);
      }
    }
    for (Map.Entry<String, List<OutboxWork>> e : bySender.entrySet()) {
      try {
        pace(e.getKey(), e.getValue());
      } catch (SQLException | RuntimeException ex) {
        LOG.warn(
            "Pacing could not book {} row(s) of a sender, retrying: SQL state {}",
            e.getValue().size(),
            ex instanceof SQLException s ? s.getSQLState() : ex.getClass().getSimpleName());
        for (OutboxWork w : e.getValue()) {
          if (!w.isDecided()) {
            w.decide(Outcome.retry("PACING_CHECK_FAILED", ex.getMessage(), null, 1_000));
            w.log("PACING", "CHECK_FAILED", null, null, null, ex.getMessage());
          }
        }
      }
    }
    return batch;
  }

  /** Books slots for one sender's rows of the batch, in id order, in one transaction. */
  private void pace(String key, List<OutboxWork> rows) throws SQLException {
    double intervalUs = 1_000_000.0 / settings.rateOf(key);
    try (Connection c = dataSource.getConnection()) {
      ensureRow(c, key);
      Transactions.inTransactionThen(
          c,
          x -> {
            long next;
            try (PreparedStatement ps =
                x.prepareStatement(
                    "SELECT next_slot_us FROM send_pace WHERE sender_key = ? FOR UPDATE")) {
              ps.setString(1, key);
              try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                  throw new SQLException("send_pace row for the sender vanished");
                }
                next = rs.getLong(1);
              }
            }
            // Read after the lock is granted: a clock read before the wait would book in the past.
            long now = clockMicros(x);
            long start = Math.max(next, now);
            int booked = 0;
            List<OutboxWork> reserved = new ArrayList<>();
            List<long[]> later = new ArrayList<>(); // {index into rows, slot}
            for (int i = 0; i < rows.size(); i++) {
              Long slot = rows.get(i).getRow().paceSlotUs();
              if (slot != null && slot >= now - STALE_US) {
                reserved.add(rows.get(i)); // booked by an earlier claim: its slot has come
                continue;
              }
              long mine = start + Math.round(booked * intervalUs);
              booked++;
              if (mine > now + LEAD_US) {
                later.add(new long[] {i, mine});
              }
            }
            long newNext = start + Math.round(booked * intervalUs);
            if (booked > 0) {
              try (PreparedStatement ps =
                  x.prepareStatement(
                      "UPDATE send_pace SET next_slot_us = ? WHERE sender_key = ?")) {
                ps.setLong(1, newNext);
                ps.setString(2, key);
                ps.executeUpdate();
              }
            }
            if (!reserved.isEmpty()) {
              clearSlots(x, reserved);
            }
            List<OutboxWork> putBack =
                later.isEmpty() ? List.of() : putBack(x, rows, later, now, key);
            // The rows hear that they wait, and the claimer when to wake, once the slots are
            // booked.
            return () -> {
              for (OutboxWork w : putBack) {
                w.decide(
                    new Outcome(
                        "PENDING",
                        "PACED",
                        "waiting for a send slot of its sender",
                        null,
                        null,
                        null,
                        null,
                        0));
              }
              if (!putBack.isEmpty()) {
                long aheadUs = later.get(later.size() - 1)[1] - now;
                long until =
                    System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(aheadUs) + 500_000_000L;
                wakeUntilNanos.accumulateAndGet(until, (a, b) -> a - b >= 0 ? a : b);
              }
              return null;
            };
          });
    }
  }

  /** Inserts the sender's schedule row once (another replica may win the race: that is fine). */
  private void ensureRow(Connection c, String key) throws SQLException {
    if (known.contains(key)) {
      return;
    }
    boolean exists;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM send_pace WHERE sender_key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        exists = rs.next();
      }
    }
    if (!exists) {
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO send_pace (sender_key, next_slot_us) VALUES (?, 0)")) {
        ps.setString(1, key);
        ps.executeUpdate();
      } catch (SQLException e) {
        String state = e.getSQLState();
        if (state == null || !(state.equals("23505") || state.equals("23000"))) {
          throw e;
        }
      }
    }
    known.add(key);
  }

  private void clearSlots(Connection c, List<OutboxWork> rows) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE outbox_message SET pace_slot_us = NULL WHERE id = ? AND lease_owner = ?")) {
      for (OutboxWork w : rows) {
        ps.setLong(1, w.getRow().id());
        ps.setString(2, owner);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /**
   * Puts rows back in the outbox until their slots, under this instance's lease: status as before
   * the claim, the claim's attempt undone, lease cleared (the result writer then finds no lease and
   * writes nothing for them).
   */
  private List<OutboxWork> putBack(
      Connection c, List<OutboxWork> rows, List<long[]> later, long now, String key)
      throws SQLException {
    // status is assigned before attempts: MariaDB evaluates SET left to right.
    String sql =
        "UPDATE outbox_message SET status = CASE WHEN attempts > 1 THEN 'RETRY' ELSE 'PENDING'"
            + " END, attempts = attempts - 1, next_attempt_at = "
            + nowPlusMillis()
            + ", pace_slot_us = ?, reason_code = 'PACED', reason = ?, lease_owner = NULL,"
            + " lease_until = NULL, updated_at = "
            + OutboxStore.now(vendor)
            + " WHERE id = ? AND lease_owner = ?";
    List<OutboxWork> done = new ArrayList<>(later.size());
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (long[] l : later) {
        OutboxWork w = rows.get((int) l[0]);
        long slot = l[1];
        ps.setLong(1, Math.max(0, (slot - now + 999) / 1000));
        ps.setLong(2, slot);
        ps.setString(
            3,
            "waiting for a send slot of its sender at "
                + Instant.EPOCH.plus(slot, ChronoUnit.MICROS));
        ps.setLong(4, w.getRow().id());
        ps.setString(5, owner);
        ps.addBatch();
        done.add(w);
      }
      ps.executeBatch();
    }
    return done;
  }

  /** The database's clock now, in microseconds since the epoch (not the transaction's start). */
  private long clockMicros(Connection c) throws SQLException {
    String sql =
        switch (vendor) {
          case POSTGRESQL ->
              "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)";
          case MARIADB -> "SELECT CAST(UNIX_TIMESTAMP(SYSDATE(6)) * 1000000 AS SIGNED)";
          // H2 is embedded: its clock is this JVM's (or, with AUTO_SERVER, a JVM on this host),
          // and its CURRENT_TIMESTAMP stands still within a transaction.
          case H2 -> null;
        };
    if (sql == null) {
      Instant i = Instant.now();
      return i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000;
    }
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The database clock (not the transaction's start) plus the next parameter in milliseconds. */
  private String nowPlusMillis() {
    return switch (vendor) {
      case POSTGRESQL -> "clock_timestamp() + (CAST(? AS BIGINT) * INTERVAL '1 millisecond')";
      case H2 -> "DATEADD(MILLISECOND, CAST(? AS BIGINT), CURRENT_TIMESTAMP)";
      case MARIADB -> "DATE_ADD(SYSDATE(6), INTERVAL ? * 1000 MICROSECOND)";
    };
  }
}
