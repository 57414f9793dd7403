package org.twiliocrm.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;

/**
 * The webhook and write-back meters. The registry is the one Camel exposes at /observe/metrics; it
 * is looked up from the CamelContext on first use, because the beans are built before Camel starts.
 */
public final class WebhookMetrics {
  private volatile MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Supplier<Number>> gauges = new ConcurrentHashMap<>();
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
      gauges.forEach((name, s) -> register(r, name, s));
      ackTimer =
          Timer.builder("twiliocrm.webhook.persist")
              .description("Time from accepting a webhook to its row being committed")
              .publishPercentiles(0.5, 0.99)
              .register(r);
      registry = r;
    }
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

  public void crmCall(String outcome) {
    counter("twiliocrm.crm.writeback.calls", "outcome", outcome, null, null).increment();
  }

  public void persisted(long nanos) {
    Timer t = ackTimer;
    if (t != null) {
      t.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** A gauge such as the write-back backlog; registered now or when the registry is bound. */
  public void gauge(String name, Supplier<Number> value) {
    gauges.put(name, value);
    MeterRegistry r = registry;
    if (r != null) {
      register(r, name, value);
    }
  }

  private static void register(MeterRegistry r, String name, Supplier<Number> s) {
    io.micrometer.core.instrument.Gauge.builder(name, s, v -> v.get().doubleValue()).register(r);
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
