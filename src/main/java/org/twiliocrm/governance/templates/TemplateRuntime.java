package org.twiliocrm.governance.templates;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.DaemonTimer;

/**
 * Keeps a running connector's templates current. Every {@code templates.reload-interval} it reads
 * the files again; when they changed and check clean, each new version is recorded PENDING_APPROVAL
 * and the catalog takes the new set. When they changed and have errors, the last good set stays in
 * force and the error (file:line) is reported: readiness DOWN (check {@code connector/templates})
 * and the gauge {@code connector.templates.reload.failing} at 1, until the files are fixed. Each
 * tick also refreshes the approved versions from the database, which releases rows held for a
 * template that another process approved.
 */
public final class TemplateRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TemplateRuntime.class);

  private final String location;
  private final String defaultLocale;
  private final Duration interval;
  private final TemplateApprovals approvals;
  private final Consumer<TemplateFiles.Loaded> onGood;
  private final Supplier<MeterRegistry> meters;
  private volatile String lastFingerprint;
  private volatile String error;
  private final DaemonTimer timer = new DaemonTimer("templates-reload");
  private volatile MeterRegistry boundTo;
  private Counter errors;

  public TemplateRuntime(
      String location,
      String defaultLocale,
      Duration interval,
      TemplateApprovals approvals,
      TemplateFiles.Loaded initial,
      Consumer<TemplateFiles.Loaded> onGood,
      Supplier<MeterRegistry> meters) {
    this.location = location;
    this.defaultLocale = defaultLocale;
    this.interval = interval;
    this.approvals = approvals;
    this.onGood = onGood;
    this.meters = meters;
    this.lastFingerprint = initial.fingerprint();
  }

  /** The error of the files as they are now, while the last good set stays in force. */
  public java.util.Optional<String> error() {
    return java.util.Optional.ofNullable(error);
  }

  public synchronized void start() {
    if (interval.isZero()) {
      return;
    }
    long ms = Math.max(100, interval.toMillis());
    timer.start(new DaemonTimer.Task(this::safeTick, ms, ms));
  }

  private void safeTick() {
    try {
      tick();
    } catch (RuntimeException e) {
      LOG.warn("Template reload failed: {}", e.toString());
    }
  }

  /** One reload: the files, then the approved versions. */
  public synchronized void tick() {
    bindMetrics();
    TemplateFiles.Loaded loaded;
    try {
      loaded = TemplateFiles.load(location, defaultLocale);
    } catch (RuntimeException e) {
      fail(e.getMessage(), "unreadable:" + e.getMessage());
      approvals.refresh();
      return;
    }
    if (!loaded.fingerprint().equals(lastFingerprint)) {
      if (loaded.ok()) {
        approvals.register(loaded.templates().values(), loaded.sources());
        onGood.accept(loaded);
        lastFingerprint = loaded.fingerprint();
        if (error != null) {
          LOG.info("Templates in {} are valid again", loaded.description());
        } else {
          LOG.info("Templates reloaded from {}", loaded.description());
        }
        error = null;
      } else {
        fail(loaded.errorText(), loaded.fingerprint());
      }
    }
    approvals.refresh();
  }

  private void fail(String text, String fingerprint) {
    if (!fingerprint.equals(lastFingerprint)) {
      // Logged once per broken edit, not on every tick.
      LOG.warn(
          "Template files have errors; the last good templates stay in force until fixed:\n{}",
          text);
      if (errors != null) {
        errors.increment();
      }
    }
    lastFingerprint = fingerprint;
    error = text;
  }

  private void bindMetrics() {
    MeterRegistry r = meters.get();
    if (r == null || r == boundTo) {
      return;
    }
    Gauge.builder("connector.templates.reload.failing", this, t -> t.error == null ? 0 : 1)
        .description("1 while the template files have errors and the last good set is in force")
        .register(r);
    errors =
        Counter.builder("connector.templates.reload.errors")
            .description("Broken template edits seen by the running connector")
            .register(r);
    boundTo = r;
  }

  /** Readiness check {@code connector/templates}: DOWN while the files on disk are broken. */
  public HealthCheck healthCheck() {
    return new AbstractHealthCheck("connector", "templates") {
      @Override
      public boolean isLiveness() {
        return false;
      }

      @Override
      protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        String e = error;
        if (e == null) {
          builder.up();
        } else {
          builder
              .message("template files have errors; the last good templates are in use: " + e)
              .detail("errors", e)
              .down();
        }
      }
    };
  }

  @Override
  public synchronized void close() {
    timer.close();
  }
}
