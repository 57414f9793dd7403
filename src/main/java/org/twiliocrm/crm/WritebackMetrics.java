package org.twiliocrm.crm;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.CamelContext;

/**
 * The write-back's meters: calls by outcome and the backlog. They register with the registry Camel
 * exposes at /observe/metrics when the first route step binds them (the beans exist before Camel
 * has its registry).
 */
final class WritebackMetrics {
  private final AtomicLong backlog = new AtomicLong();
  private volatile Counter ok;
  private volatile Counter failed;

  synchronized void bind(CamelContext context) {
    if (ok != null) {
      return;
    }
    MeterRegistry found =
        context == null ? null : context.getRegistry().findSingleByType(MeterRegistry.class);
    MeterRegistry r = found != null ? found : Metrics.globalRegistry;
    Gauge.builder("twiliocrm.crm.writeback.backlog", backlog, AtomicLong::get)
        .description("Records waiting for Salesforce")
        .register(r);
    failed = Counter.builder("twiliocrm.crm.writeback.calls").tag("outcome", "failed").register(r);
    ok = Counter.builder("twiliocrm.crm.writeback.calls").tag("outcome", "ok").register(r);
  }

  void call(boolean succeeded) {
    Counter c = succeeded ? ok : failed;
    if (c != null) {
      c.increment();
    }
  }

  void backlog(long n) {
    backlog.set(n);
  }
}
