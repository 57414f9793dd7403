package org.twiliocrm.crm.events;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.function.Supplier;

/**
 * Micrometer counters of the CRM-event flows (exposed at /observe/metrics by the connector):
 *
 * <ul>
 *   <li>{@code crm.events.received} (channel): events committed
 *   <li>{@code crm.events.outbox.inserted} (channel): outbox rows created
 *   <li>{@code crm.events.duplicates} (channel): outbox rows already there (replay, failover)
 *   <li>{@code crm.events.rejected} (channel, reason): bad events
 *   <li>{@code crm.events.replay.gap} (channel): stored replay id had expired; fell back
 *   <li>{@code crm.events.writeback.failed}: a rejection could not be written to the CRM record
 * </ul>
 */
public final class CrmEventMetrics {
  private final Supplier<MeterRegistry> registry;
  private volatile MeterRegistry resolved;

  /**
   * The registry is resolved on first use: Camel's Prometheus registry exists only once started.
   */
  public CrmEventMetrics(Supplier<MeterRegistry> registry) {
    this.registry = registry;
  }

  /** Counters kept in a private registry (tests, or no Camel metrics configured). */
  public static CrmEventMetrics standalone() {
    return new CrmEventMetrics(SimpleMeterRegistry::new);
  }

  private MeterRegistry r() {
    MeterRegistry m = resolved;
    if (m == null) {
      m = registry.get();
      // Not Metrics.globalRegistry: with no registry added to it, it drops every increment.
      resolved = m == null ? new SimpleMeterRegistry() : m;
      m = resolved;
    }
    return m;
  }

  void committed(String channel, CrmEventStore.Result result) {
    r().counter("crm.events.received", "channel", channel).increment();
    r().counter("crm.events.outbox.inserted", "channel", channel).increment(result.inserted());
    r().counter("crm.events.duplicates", "channel", channel).increment(result.duplicates());
  }

  void rejected(String channel, String reason) {
    r().counter("crm.events.rejected", "channel", channel, "reason", reason).increment();
  }

  void replayGap(String channel) {
    r().counter("crm.events.replay.gap", "channel", channel).increment();
  }

  void writeBackFailed() {
    r().counter("crm.events.writeback.failed").increment();
  }

  public double count(String name, String... tags) {
    return r().find(name).tags(tags).counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count)
        .sum();
  }
}
