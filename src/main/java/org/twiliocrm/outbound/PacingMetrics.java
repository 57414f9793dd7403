package org.twiliocrm.outbound;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConnectorConfig.Vendor;
import org.twiliocrm.config.DaemonTimer;

/**
 * Each sender's backlog at /observe/metrics (docs/outbox.md#sender-pacing), from one grouped query
 * every {@link #PERIOD_MS} while pacing is on:
 *
 * <ul>
 *   <li>{@code twiliocrm_outbox_sender_backlog{sender,kind}}: rows of the sender still to send
 *       (PENDING, RETRY, SENDING, RECONCILE, RECONCILING; not HELD, which waits for something else)
 *   <li>{@code twiliocrm_outbox_sender_oldest_seconds}: age of the oldest of them
 *   <li>{@code twiliocrm_outbox_sender_drain_seconds}: backlog / rate, the estimated time to send
 *       it
 *   <li>{@code twiliocrm_outbox_sender_rate}: the rate in force, messages per second
 * </ul>
 *
 * A sender once seen stays in the series at 0 when its backlog is gone, so a drained sender reads 0
 * rather than vanishing. The sender label is the account's own sending number or service (never a
 * recipient), which is what an operator needs to tell senders apart.
 */
public final class PacingMetrics implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PacingMetrics.class);

  /** How often the backlog is read: a grouped query over the claim index's rows. */
  static final long PERIOD_MS = 2_000;

  private final DataSource dataSource;
  private final Vendor vendor;
  private final PacingSettings settings;
  private final Supplier<MeterRegistry> registry;
  private final Map<String, double[]> last = new TreeMap<>();
  private final DaemonTimer timer = new DaemonTimer("outbox-pacing-metrics");
  private MultiGauge backlog;
  private MultiGauge oldest;
  private MultiGauge drain;
  private MultiGauge rate;
  private boolean failedLogged;

  public PacingMetrics(
      DataSource dataSource,
      Vendor vendor,
      PacingSettings settings,
      Supplier<MeterRegistry> registry) {
    this.dataSource = dataSource;
    this.vendor = vendor;
    this.settings = settings;
    this.registry = registry;
  }

  public synchronized void start() {
    if (!settings.enabled()) {
      return;
    }
    timer.start(new DaemonTimer.Task(this::refreshQuietly, 500, PERIOD_MS));
  }

  private void refreshQuietly() {
    try {
      refresh();
      failedLogged = false;
    } catch (SQLException | RuntimeException e) {
      if (!failedLogged) {
        LOG.warn("Sender backlog metrics could not be read: {}", e.getMessage());
        failedLogged = true;
      }
    }
  }

  /** Reads the backlog of every sender and publishes it (also called by tests). */
  public synchronized Map<String, double[]> refresh() throws SQLException {
    MeterRegistry r = registry.get();
    if (r == null) {
      return Map.of(); // Camel has not bound its registry yet
    }
    if (backlog == null) {
      backlog =
          MultiGauge.builder("twiliocrm.outbox.sender.backlog")
              .description("Outbox rows of a sender still to send")
              .register(r);
      oldest =
          MultiGauge.builder("twiliocrm.outbox.sender.oldest.seconds")
              .description("Age of the oldest outbox row of a sender still to send")
              .register(r);
      drain =
          MultiGauge.builder("twiliocrm.outbox.sender.drain.seconds")
              .description("Estimated time to send a sender's backlog at its rate")
              .register(r);
      rate =
          MultiGauge.builder("twiliocrm.outbox.sender.rate")
              .description("Send rate in force for a sender, messages per second")
              .register(r);
    }
    for (double[] v : last.values()) {
      v[0] = 0;
      v[1] = 0;
    }
    String sql =
        "SELECT channel, sender, messaging_service_sid, COUNT(*), MIN(created_at), "
            + OutboxStore.now(vendor)
            + " FROM outbox_message WHERE status IN ('PENDING', 'RETRY', 'SENDING', 'RECONCILE',"
            + " 'RECONCILING') AND channel IN ('sms', 'mms', 'whatsapp')"
            + " GROUP BY channel, sender, messaging_service_sid";
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String key = PacingSettings.key(rs.getString(1), rs.getString(2), rs.getString(3));
        if (key == null) {
          continue;
        }
        Timestamp first = rs.getTimestamp(5);
        Timestamp now = rs.getTimestamp(6);
        double age =
            first == null || now == null ? 0 : Math.max(0, now.getTime() - first.getTime()) / 1e3;
        double[] v = last.computeIfAbsent(key, k -> new double[2]);
        v[0] += rs.getLong(4);
        v[1] = Math.max(v[1], age);
      }
    }
    List<MultiGauge.Row<?>> b = new ArrayList<>();
    List<MultiGauge.Row<?>> o = new ArrayList<>();
    List<MultiGauge.Row<?>> d = new ArrayList<>();
    List<MultiGauge.Row<?>> q = new ArrayList<>();
    for (Map.Entry<String, double[]> e : last.entrySet()) {
      double mps = settings.rateOf(e.getKey());
      Tags tags =
          Tags.of(
              "sender",
              e.getKey(),
              "kind",
              PacingSettings.kind(e.getKey()).name().toLowerCase(java.util.Locale.ROOT));
      double[] v = e.getValue();
      b.add(MultiGauge.Row.of(tags, v[0]));
      o.add(MultiGauge.Row.of(tags, v[1]));
      d.add(MultiGauge.Row.of(tags, v[0] / mps));
      q.add(MultiGauge.Row.of(tags, mps));
    }
    backlog.register(b, true);
    oldest.register(o, true);
    drain.register(d, true);
    rate.register(q, true);
    Map<String, double[]> copy = new TreeMap<>();
    last.forEach((k, v) -> copy.put(k, new double[] {v[0], v[1], v[0] / settings.rateOf(k)}));
    return copy;
  }

  @Override
  public synchronized void close() {
    timer.close();
  }
}
