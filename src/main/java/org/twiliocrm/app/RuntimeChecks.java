package org.twiliocrm.app;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.preflight.Check;

/**
 * The preflight checks that can change while the connector runs (a field deleted or hidden, CDC
 * switched off, the API limit running out), re-run every {@code preflight.recheck-interval}. They
 * show in {@code /observe/health} as checks that are neither readiness nor liveness (a missing
 * field must not take the connector out of service: the rest still flows, and the write-back waits
 * in the database), and as the gauge {@code twiliocrm_preflight_check{check=...}} (1 passed, 0
 * failed, -1 not run yet) for the PrometheusRule in deploy/monitoring.
 */
final class RuntimeChecks implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RuntimeChecks.class);
  static final List<String> GROUPS = List.of("schema", "cdc", "limits");

  private final Function<String, String> property;
  private volatile Duration interval;
  private final Map<String, List<Check>> latest = new ConcurrentHashMap<>();
  private volatile Instant checkedAt;
  private ScheduledExecutorService scheduler;
  private volatile CamelContext context;
  private volatile boolean closed;

  RuntimeChecks(Function<String, String> property) {
    this.property = property;
  }

  /** Read when asked: the connector's effective configuration is complete only by then. */
  boolean enabled() {
    interval = org.twiliocrm.preflight.PreflightSettings.RECHECK_INTERVAL.read(property);
    return !interval.isZero();
  }

  /** Registers the health checks; call from afterConfigure. */
  void register(CamelContext ctx) {
    for (String g : GROUPS) {
      HealthCheckHelper.getHealthCheckRegistry(ctx).register(new GroupCheck(g));
    }
  }

  /** Registers the gauges and starts the schedule; call once the connector has started. */
  void start(CamelContext ctx) {
    context = ctx;
    MeterRegistry found = ctx.getRegistry().findSingleByType(MeterRegistry.class);
    MeterRegistry r = found != null ? found : Metrics.globalRegistry;
    for (String g : GROUPS) {
      Gauge.builder("twiliocrm.preflight.check", () -> value(g))
          .tag("check", "salesforce-" + g)
          .description("Preflight check re-run on a schedule: 1 passed, 0 failed, -1 not run yet")
          .register(r);
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            t -> {
              Thread th = new Thread(t, "preflight-recheck");
              th.setDaemon(true);
              return th;
            });
    // First run shortly after start-up, off the start-up path.
    scheduler.scheduleWithFixedDelay(
        this::runOnce, 5_000, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  void runOnce() {
    if (closed) {
      return;
    }
    try {
      Map<String, List<Check>> groups =
          PreflightCommand.salesforce(property, salesforceProperties())
              .within(context)
              .runtimeGroups();
      latest.putAll(groups);
      checkedAt = Instant.now();
      groups.forEach(
          (g, checks) ->
              checks.stream()
                  .filter(c -> c.status() == Check.Status.FAIL)
                  .forEach(
                      c ->
                          LOG.warn(
                              "Preflight re-check {}: {} {}: {}",
                              g,
                              c.name(),
                              c.detail(),
                              c.fix())));
    } catch (RuntimeException | Error e) {
      // Never let it escape: the executor would silently cancel every later run.
      LOG.warn("Preflight re-check could not run: {}", e.toString());
    }
  }

  private Map<String, String> salesforceProperties() {
    Map<String, String> p = new java.util.HashMap<>();
    for (String k :
        List.of(
            "loginUrl",
            "authenticationType",
            "clientId",
            "clientSecret",
            "userName",
            "password",
            "refreshToken",
            "keystore.resource",
            "keystore.password")) {
      String v = property.apply("camel.component.salesforce." + k);
      if (v != null) {
        p.put("camel.component.salesforce." + k, v);
      }
    }
    return p;
  }

  /** The latest results of one group, or an empty list before the first run (for tests). */
  List<Check> latestFor(String group) {
    return latest.getOrDefault(group, List.of());
  }

  private double value(String group) {
    List<Check> c = latest.get(group);
    if (c == null) {
      return -1;
    }
    return c.stream().allMatch(Check::ok) ? 1 : 0;
  }

  @Override
  public void close() {
    closed = true;
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  private final class GroupCheck extends AbstractHealthCheck {
    private final String group;

    GroupCheck(String group) {
      super("connector", "salesforce-" + group);
      this.group = group;
    }

    @Override
    public boolean isReadiness() {
      return false;
    }

    @Override
    public boolean isLiveness() {
      return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
      List<Check> checks = latest.get(group);
      if (checks == null) {
        builder.detail("state", "not checked yet").unknown();
        return;
      }
      builder.detail("checkedAt", String.valueOf(checkedAt));
      List<Check> failed = checks.stream().filter(c -> !c.ok()).toList();
      if (failed.isEmpty()) {
        builder.up();
      } else {
        builder
            .message(
                failed.stream()
                    .map(c -> c.name() + ": " + c.detail())
                    .collect(Collectors.joining("; ")))
            .detail("fix", failed.get(0).fix())
            .down();
      }
    }
  }
}
