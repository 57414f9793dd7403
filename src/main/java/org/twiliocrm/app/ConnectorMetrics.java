package org.twiliocrm.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.List;
import java.util.function.ToDoubleFunction;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.crm.events.CrmEventSubscriptions;
import org.twiliocrm.crm.events.CrmEventsSettings;
import org.twiliocrm.outbound.OutboxRecorder;
import org.twiliocrm.outbound.OutboxStore;

/**
 * The operational meters the dashboard and alerts in {@code deploy/monitoring/} read, beside the
 * ones each flow keeps itself (docs/observability.md):
 *
 * <ul>
 *   <li>{@code twiliocrm_outbox_backlog}, {@code twiliocrm_outbox_oldest_seconds}: rows still to
 *       send (PENDING, SENDING, RETRY, RECONCILE, RECONCILING; not HELD) and how long the oldest of
 *       those that are due has waited;
 *   <li>{@code twiliocrm_outbox_results_total{status,reason}}: results this instance recorded;
 *   <li>{@code twiliocrm_crm_writeback_lag_seconds}, {@code twiliocrm_crm_writeback_pending{kind}}:
 *       how long the oldest change has waited for Salesforce, and how many wait (message records,
 *       Tasks and opt-outs);
 *   <li>{@code twiliocrm_webhook_events_backlog}, {@code twiliocrm_webhook_events_oldest_seconds}:
 *       stored webhook events not yet applied;
 *   <li>{@code twiliocrm_crm_events_leader}, {@code twiliocrm_crm_events_leadership_changes_total}:
 *       whether this process holds the Salesforce subscriptions, and how often that changed.
 * </ul>
 *
 * The database-derived gauges are read when scraped, at most once per {@code
 * connector.metrics.refresh}, with one small query per table (each on an index the flows already
 * use).
 */
final class ConnectorMetrics {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectorMetrics.class);

  private static final String OUTBOX =
      "SELECT COUNT(*), MIN(CASE WHEN COALESCE(next_attempt_at, send_after, created_at) <="
          + " CURRENT_TIMESTAMP THEN COALESCE(next_attempt_at, send_after, created_at) END),"
          + " CURRENT_TIMESTAMP FROM outbox_message WHERE status IN ('PENDING', 'SENDING',"
          + " 'RETRY', 'RECONCILE', 'RECONCILING')";
  private static final String MESSAGES =
      "SELECT COUNT(*), MIN(crm_dirty_since), CURRENT_TIMESTAMP FROM message_state WHERE "
          + org.twiliocrm.webhook.MessageStateStore.DIRTY_RANGE
          + " AND crm_synced_version < crm_version";
  private static final String ACTIONS =
      "SELECT COUNT(*), MIN(created_at), CURRENT_TIMESTAMP FROM crm_action WHERE state ="
          + " 'PENDING'";
  private static final String EVENTS =
      "SELECT COUNT(*), MIN(received_at), CURRENT_TIMESTAMP FROM webhook_event WHERE state ="
          + " 'NEW'";

  private final DataSource dataSource;
  private final long refreshNanos;
  private volatile Snapshot snapshot;
  private volatile long readAt;
  private volatile boolean warned;

  /** One read of the four tables; NaN where a query failed. */
  record Snapshot(
      double outboxBacklog,
      double outboxOldest,
      double messagesPending,
      double messagesOldest,
      double actionsPending,
      double actionsOldest,
      double eventsBacklog,
      double eventsOldest) {
    double writebackLag() {
      if (Double.isNaN(messagesOldest) && Double.isNaN(actionsOldest)) {
        return Double.isNaN(messagesPending) ? Double.NaN : 0;
      }
      return Math.max(zeroIfNaN(messagesOldest), zeroIfNaN(actionsOldest));
    }
  }

  ConnectorMetrics(DataSource dataSource, Duration refresh) {
    this.dataSource = dataSource;
    this.refreshNanos = Math.max(0, refresh.toNanos());
  }

  /** Registers every meter with {@code r}, the registry /observe/metrics exposes. */
  void bind(CamelContext ctx, MeterRegistry r, java.util.function.Function<String, String> config) {
    gauge(
        r,
        "twiliocrm.outbox.backlog",
        "Outbox rows still to send (not HELD)",
        Snapshot::outboxBacklog);
    gauge(
        r,
        "twiliocrm.outbox.oldest.seconds",
        "Seconds the oldest due outbox row has waited to be sent",
        Snapshot::outboxOldest);
    gauge(
        r,
        "twiliocrm.crm.writeback.lag.seconds",
        "Seconds the oldest change waiting for Salesforce has waited",
        Snapshot::writebackLag);
    Gauge.builder("twiliocrm.crm.writeback.pending", this, m -> m.read().messagesPending())
        .tag("kind", "message")
        .description("Message records and CRM actions waiting for Salesforce")
        .register(r);
    Gauge.builder("twiliocrm.crm.writeback.pending", this, m -> m.read().actionsPending())
        .tag("kind", "action")
        .description("Message records and CRM actions waiting for Salesforce")
        .register(r);
    gauge(
        r,
        "twiliocrm.webhook.events.backlog",
        "Stored webhook events not yet applied",
        Snapshot::eventsBacklog);
    gauge(
        r,
        "twiliocrm.webhook.events.oldest.seconds",
        "Seconds the oldest stored webhook event has waited to be applied",
        Snapshot::eventsOldest);

    // Results by status and reason, counted as the outbox's writer commits them.
    OutboxRecorder recorder =
        ctx.getRegistry().lookupByNameAndType("outboxRecorder", OutboxRecorder.class);
    if (recorder != null) {
      recorder.alsoAfterWrite(results -> count(r, results));
      // SENT exists from the start, so a rate() over it works before the first failure.
      results(r, "SENT", "none");
    }

    CrmEventSubscriptions crm =
        ctx.getRegistry().lookupByNameAndType("crmEventSubscriptions", CrmEventSubscriptions.class);
    if (crm != null) {
      Gauge.builder("twiliocrm.crm.events.leader", crm, s -> s.isLeader() ? 1 : 0)
          .description("1 while this process holds the Salesforce event subscriptions")
          .register(r);
      FunctionCounter.builder(
              "twiliocrm.crm.events.leadership.changes", crm, s -> s.leadershipChanges())
          .description("Times this process became or stopped being the CRM events leader")
          .register(r);
      // The replay gap counter (CrmEventMetrics) exists before the first gap, so alerts on its
      // increase see a series.
      CrmEventsSettings s = CrmEventsSettings.from(config::apply);
      for (String channel : java.util.Arrays.asList(s.platformEventTopic(), s.changeEventTopic())) {
        if (channel != null && !channel.isBlank()) {
          Counter.builder("crm.events.replay.gap").tag("channel", channel).register(r);
        }
      }
    }
  }

  private void gauge(
      MeterRegistry r, String name, String description, ToDoubleFunction<Snapshot> f) {
    Gauge.builder(name, this, m -> f.applyAsDouble(m.read())).description(description).register(r);
  }

  private static Counter results(MeterRegistry r, String status, String reason) {
    return Counter.builder("twiliocrm.outbox.results")
        .description("Outbox results recorded, by status and reason code")
        .tag("status", status)
        .tag("reason", reason)
        .register(r);
  }

  private static void count(MeterRegistry r, List<OutboxStore.Result> batch) {
    for (OutboxStore.Result res : batch) {
      String status = res.outcome() == null ? "UNDECIDED" : res.outcome().status();
      String reason = res.outcome() == null ? null : res.outcome().reasonCode();
      results(
              r,
              status == null ? "UNKNOWN" : status,
              reason == null || reason.isBlank() ? "none" : reason)
          .increment();
    }
  }

  /** The last snapshot, read again when older than the refresh interval. */
  Snapshot read() {
    Snapshot s = snapshot;
    if (s != null && System.nanoTime() - readAt < refreshNanos) {
      return s;
    }
    synchronized (this) {
      if (snapshot != null && System.nanoTime() - readAt < refreshNanos) {
        return snapshot;
      }
      snapshot = query();
      readAt = System.nanoTime();
      return snapshot;
    }
  }

  private Snapshot query() {
    try (Connection c = dataSource.getConnection()) {
      double[] outbox = countAndAge(c, OUTBOX);
      double[] messages = countAndAge(c, MESSAGES);
      double[] actions = countAndAge(c, ACTIONS);
      double[] events = countAndAge(c, EVENTS);
      warned = false;
      return new Snapshot(
          outbox[0],
          outbox[1],
          messages[0],
          messages[1],
          actions[0],
          actions[1],
          events[0],
          events[1]);
    } catch (SQLException | RuntimeException e) {
      if (!warned) {
        warned = true;
        LOG.warn("Reading the outbox and write-back gauges failed: {}", e.toString());
      }
      double n = Double.NaN;
      return new Snapshot(n, n, n, n, n, n, n, n);
    }
  }

  /** {count, seconds since the oldest} (0 s when nothing waits). */
  private static double[] countAndAge(Connection c, String sql) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(sql)) {
      p.setQueryTimeout(5);
      try (ResultSet rs = p.executeQuery()) {
        rs.next();
        long count = rs.getLong(1);
        Timestamp oldest = rs.getTimestamp(2);
        Timestamp now = rs.getTimestamp(3);
        double age =
            oldest == null || now == null
                ? 0
                : Math.max(0, (now.getTime() - oldest.getTime()) / 1000.0);
        return new double[] {count, age};
      }
    }
  }

  private static double zeroIfNaN(double v) {
    return Double.isNaN(v) ? 0 : v;
  }
}
