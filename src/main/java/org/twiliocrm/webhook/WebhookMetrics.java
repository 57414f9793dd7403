package org.twiliocrm.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;

/**
 * The webhook meters. The registry is the one Camel exposes at /observe/metrics; it is looked up
 * from the CamelContext on first use, because the beans are built before Camel starts.
 */
public final class WebhookMetrics {
  private volatile MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private volatile Timer ackTimer;

  /** Binds to Camel's registry once; later calls are no-ops. */
  public void bind(CamelContext context) {
    if (registry != null) {
      return;
    }
    synchronized (this) {
      if (registry != null) {
        return;
      }
      MeterRegistry found = null;
      if (context != null) {
        found = context.getRegistry().findSingleByType(MeterRegistry.class);
      }
      MeterRegistry r = found != null ? found : Metrics.globalRegistry;
      ackTimer =
          Timer.builder("twiliocrm.webhook.persist")
              .description("Time from accepting a webhook to its row being committed")
              .publishPercentiles(0.5, 0.99)
              .register(r);
      registry = r;
    }
  }

  /**
   * Forms the webhook edge decoded that no gate has taken yet: requests in flight, so it returns to
   * 0 whenever the webhooks are idle. A value that only grows would be a leak.
   */
  public void watch(FormHandoff forms) {
    MeterRegistry r = registry != null ? registry : Metrics.globalRegistry;
    io.micrometer.core.instrument.Gauge.builder(
            "twiliocrm.webhook.forms.in.flight", forms, FormHandoff::pending)
        .description("Webhook forms decoded by the edge and not yet checked by the gate")
        .register(r);
  }

  public void rejected(String endpoint, String reason) {
    counter("twiliocrm.webhook.rejected", "endpoint", endpoint, "reason", reason).increment();
  }

  public void accepted(String endpoint) {
    counter("twiliocrm.webhook.accepted", "endpoint", endpoint, null, null).increment();
  }

  public void duplicate(String endpoint) {
    counter("twiliocrm.webhook.duplicates", "endpoint", endpoint, null, null).increment();
  }

  public void persisted(long nanos) {
    Timer t = ackTimer;
    if (t != null) {
      t.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  private Counter counter(String name, String k1, String v1, String k2, String v2) {
    String id = name + '|' + v1 + '|' + v2;
    Counter c = counters.get(id);
    if (c != null && registry != null) {
      return c;
    }
    MeterRegistry r = registry != null ? registry : Metrics.globalRegistry;
    Counter.Builder b = Counter.builder(name).tag(k1, v1);
    if (k2 != null) {
      b.tag(k2, v2);
    }
    Counter made = b.register(r);
    if (registry != null) {
      counters.put(id, made);
    }
    return made;
  }

  /** Current count of a counter, for tests. */
  public double count(String name, String tagKey, String tagValue) {
    MeterRegistry r = registry != null ? registry : Metrics.globalRegistry;
    return r.find(name).tag(tagKey, tagValue).counters().stream().mapToDouble(Counter::count).sum();
  }
}
