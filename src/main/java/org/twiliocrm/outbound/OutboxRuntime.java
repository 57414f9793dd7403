package org.twiliocrm.outbound;

import java.util.ArrayList;
import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.support.LifecycleStrategySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.governance.templates.TemplateRuntime;

/**
 * Starts the outbox's background threads (result writer, PostgreSQL LISTEN) when the Camel context
 * starts and stops them after it stopped. Camel Main picks up LifecycleStrategy beans from the
 * registry; the validate command does not, so validating routes starts no threads.
 */
public final class OutboxRuntime extends LifecycleStrategySupport {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxRuntime.class);

  private final OutboxClaimer claimer;
  private final OutboxRecorder recorder;
  private final PgNotifyListener listener;
  private final TemplateRuntime templates;
  private final java.util.function.Consumer<CamelContext> onContext;
  private final List<AutoCloseable> closeAfter = new ArrayList<>();
  private final List<Runnable> alsoStart = new ArrayList<>();

  public OutboxRuntime(OutboxClaimer claimer, OutboxRecorder recorder, PgNotifyListener listener) {
    this(claimer, recorder, listener, null, c -> {});
  }

  public OutboxRuntime(
      OutboxClaimer claimer,
      OutboxRecorder recorder,
      PgNotifyListener listener,
      TemplateRuntime templates,
      java.util.function.Consumer<CamelContext> onContext) {
    this.claimer = claimer;
    this.recorder = recorder;
    this.listener = listener;
    this.templates = templates;
    this.onContext = onContext;
  }

  public TemplateRuntime templates() {
    return templates;
  }

  private Templates catalog;

  /** The files' current good set of templates, shared with the CRM events flow. */
  public Templates templateCatalog() {
    return catalog;
  }

  OutboxRuntime catalog(Templates catalog) {
    this.catalog = catalog;
    return this;
  }

  /** Something to close after the writer drained (e.g. the Twilio HTTP client pool). */
  public OutboxRuntime closeAfter(AutoCloseable c) {
    closeAfter.add(c);
    return this;
  }

  /**
   * Something to start with the outbox (and to close with it, if it is also given to closeAfter).
   */
  public OutboxRuntime alsoStart(Runnable r) {
    alsoStart.add(r);
    return this;
  }

  public void start() {
    alsoStart.forEach(Runnable::run);
    recorder.start();
    if (listener != null) {
      listener.start();
    }
    if (templates != null) {
      templates.start();
    }
  }

  public void stop() {
    if (templates != null) {
      templates.close();
    }
    if (listener != null) {
      listener.close();
    }
    recorder.close();
    for (AutoCloseable c : closeAfter) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("Closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
      }
    }
  }

  public PgNotifyListener listener() {
    return listener;
  }

  @Override
  public void onContextStarting(CamelContext context) {
    onContext.accept(context);
    if (templates != null) {
      var health = org.apache.camel.health.HealthCheckHelper.getHealthCheckRegistry(context);
      if (health != null) {
        health.register(templates.healthCheck());
      }
    }
    start();
  }

  /**
   * The first step of a graceful stop, while every route still runs: claims nothing more, then
   * waits until every row this instance claimed has been sent (or decided) and its result is
   * stored, or until {@code timeout}. Returns whether it drained. Rows still held at the timeout
   * are released to reconciliation after the routes stopped ({@link #onContextStopped}), so none
   * stays SENDING.
   */
  public boolean drain(java.time.Duration timeout) throws InterruptedException {
    claimer.stop();
    long deadline = System.nanoTime() + timeout.toNanos();
    long loggedAt = 0;
    while (claimer.inFlight() > 0 || recorder.pending() > 0) {
      long now = System.nanoTime();
      if (now - deadline >= 0) {
        LOG.warn(
            "Outbox: drain timeout ({} ms) reached with {} claimed row(s) not yet recorded; they"
                + " go to reconciliation",
            timeout.toMillis(),
            claimer.inFlight());
        return false;
      }
      if (now - loggedAt > 2_000_000_000L) {
        LOG.info("Outbox: draining, {} claimed row(s) being sent or recorded", claimer.inFlight());
        loggedAt = now;
      }
      claimer.awaitRelease(Math.min(100, Math.max(1, (deadline - now) / 1_000_000)));
    }
    return true;
  }

  @Override
  public void onContextStopping(CamelContext context) {
    // A claim waiting for NOTIFY or the poll interval would hold up graceful shutdown.
    claimer.stop();
  }

  @Override
  public void onContextStopped(CamelContext context) {
    stop();
    // The result writer has drained: every send that finished is recorded. What this instance
    // still holds goes to reconciliation at once instead of after its lease: RECONCILE, not
    // PENDING, because a result the writer failed to record would otherwise be sent twice.
    if (!context.getShutdownStrategy().isTimeoutOccurred()) {
      claimer.releaseUnsent();
    } else {
      LOG.warn("Outbox: shutdown timed out; rows still held are reconciled when their lease ends");
    }
  }
}
