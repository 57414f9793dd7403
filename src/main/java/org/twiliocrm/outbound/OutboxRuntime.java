package org.twiliocrm.outbound;

import java.util.ArrayList;
import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.support.LifecycleStrategySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  public OutboxRuntime(OutboxClaimer claimer, OutboxRecorder recorder, PgNotifyListener listener) {
    this.claimer = claimer;
    this.recorder = recorder;
    this.listener = listener;
  }

  /** Something to close after the writer drained (e.g. the Twilio HTTP client pool). */
  public OutboxRuntime closeAfter(AutoCloseable c) {
    closeAfter.add(c);
    return this;
  }

  public void start() {
    recorder.start();
    if (listener != null) {
      listener.start();
    }
  }

  public void stop() {
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
    start();
  }

  @Override
  public void onContextStopping(CamelContext context) {
    // A claim waiting for NOTIFY or the poll interval would hold up graceful shutdown.
    claimer.stop();
  }

  @Override
  public void onContextStopped(CamelContext context) {
    stop();
    // The result writer has drained: every send that finished is recorded. If the graceful
    // shutdown did not time out, no send was abandoned half-way, so what this instance still
    // holds was never sent and can go straight back to the queue.
    if (!context.getShutdownStrategy().isTimeoutOccurred()) {
      claimer.releaseUnsent();
    } else {
      LOG.warn("Outbox: shutdown timed out; rows still held are reconciled when their lease ends");
    }
  }
}
