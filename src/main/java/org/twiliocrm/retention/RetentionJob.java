package org.twiliocrm.retention;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.db.Transactions;

/**
 * Keeps personal data only as long as {@code retention.days}: processed webhook events (their
 * payloads hold phone numbers and message texts) are deleted, failed ones keep their row for the
 * operator but lose the payload, and finished outbox messages, message records already in the CRM
 * and sent CRM actions lose their bodies. Statuses, SIDs and counts stay, so reports and dedupe
 * still work; a Twilio retry of a webhook arrives within hours, far inside any retention.
 *
 * <p>Runs from {@code routes/retention.camel.yaml} every minute; {@link #tick()} does the work only
 * when the interval has passed and this process holds the CRM events leadership (the same Lease or
 * file lock as the subscriptions, see CrmEventSubscriptions), so one replica purges. Each statement
 * works on at most {@code retention.batch-size} rows by primary key, portable across H2, PostgreSQL
 * and MariaDB, and idempotent: two replicas running it at once (CRM events disabled, no leader
 * election) only repeat work.
 */
public final class RetentionJob {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionJob.class);
  private static final String ACTIVE_OUTBOX =
      "('PENDING', 'SENDING', 'RETRY', 'RECONCILE', 'RECONCILING')";

  /** One kind of expired data: how to find its rows, and what to do to each. */
  private record Rule(String name, String select, String change) {}

  private static final List<Rule> RULES =
      List.of(
          new Rule(
              "webhook_event deleted",
              "SELECT id FROM webhook_event WHERE state = 'DONE' AND received_at < ? ORDER BY id",
              "DELETE FROM webhook_event WHERE id = ?"),
          new Rule(
              "webhook_event payload redacted",
              "SELECT id FROM webhook_event WHERE state = 'FAILED' AND payload <> ''"
                  + " AND received_at < ? ORDER BY id",
              "UPDATE webhook_event SET payload = '' WHERE id = ?"),
          new Rule(
              "outbox_message body redacted",
              "SELECT id FROM outbox_message WHERE status NOT IN "
                  + ACTIVE_OUTBOX
                  + " AND (body IS NOT NULL OR template_variables IS NOT NULL"
                  + " OR content_variables IS NOT NULL) AND updated_at < ? ORDER BY id",
              "UPDATE outbox_message SET body = NULL, template_variables = NULL,"
                  + " content_variables = NULL WHERE id = ?"),
          new Rule(
              "message_state body redacted",
              "SELECT message_sid FROM message_state WHERE body IS NOT NULL"
                  + " AND crm_synced_version >= crm_version AND updated_at < ?"
                  + " ORDER BY message_sid",
              "UPDATE message_state SET body = NULL WHERE message_sid = ?"),
          new Rule(
              "crm_action detail redacted",
              "SELECT id FROM crm_action WHERE state = 'DONE' AND detail IS NOT NULL"
                  + " AND created_at < ? ORDER BY id",
              "UPDATE crm_action SET detail = NULL WHERE id = ?"));

  private final RetentionSettings settings;
  private final DataSource dataSource;
  private final BooleanSupplier runsHere;
  private final Clock clock;
  private volatile Instant lastRun = Instant.EPOCH;

  /**
   * @param runsHere whether this process is the one that purges (the CRM events leader)
   */
  public RetentionJob(
      RetentionSettings settings, DataSource dataSource, BooleanSupplier runsHere, Clock clock) {
    this.settings = settings;
    this.dataSource = dataSource;
    this.runsHere = runsHere;
    this.clock = clock;
  }

  /** Called every minute by the route: runs {@link #purge()} when due and on the right pod. */
  public void tick() {
    if (!settings.enabled() || !runsHere.getAsBoolean()) {
      return;
    }
    Instant now = clock.instant();
    if (now.isBefore(lastRun.plus(Duration.ofMinutes(settings.intervalMinutes())))) {
      return;
    }
    lastRun = now;
    try {
      purge();
    } catch (SQLException e) {
      // Only the SQL state and vendor code: a driver's message may quote row data.
      LOG.warn(
          "Retention: could not purge (SQL state {}, code {}); next try in {} min",
          e.getSQLState(),
          e.getErrorCode(),
          settings.intervalMinutes());
    }
  }

  /** Purges and redacts everything older than the retention now; returns the rows per rule. */
  public Map<String, Integer> purge() throws SQLException {
    Timestamp cutoff = Timestamp.from(clock.instant().minus(Duration.ofDays(settings.days())));
    Map<String, Integer> done = new LinkedHashMap<>();
    for (Rule r : RULES) {
      int total = 0;
      int n;
      do {
        n = batch(r, cutoff);
        total += n;
      } while (n == settings.batchSize());
      done.put(r.name(), total);
    }
    if (done.values().stream().anyMatch(n -> n > 0)) {
      LOG.info("Retention ({} days): {}", settings.days(), done);
    }
    return done;
  }

  private int batch(Rule r, Timestamp cutoff) throws SQLException {
    return Transactions.inTransaction(
        dataSource,
        c -> {
          List<Object> keys = new ArrayList<>();
          try (PreparedStatement q = c.prepareStatement(r.select())) {
            q.setTimestamp(1, cutoff);
            q.setMaxRows(settings.batchSize());
            try (ResultSet rs = q.executeQuery()) {
              while (rs.next()) {
                keys.add(rs.getObject(1));
              }
            }
          }
          if (!keys.isEmpty()) {
            try (PreparedStatement u = c.prepareStatement(r.change())) {
              for (Object k : keys) {
                u.setObject(1, k);
                u.addBatch();
              }
              u.executeBatch();
            }
          }
          return keys.size();
        });
  }
}
