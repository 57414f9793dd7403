package org.twiliocrm.webhook;

import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.Mode;
import org.twiliocrm.config.Settings;
import org.twiliocrm.crm.CrmLookup;
import org.twiliocrm.crm.CrmWriteback;
import org.twiliocrm.db.Database;

/**
 * Binds the beans the webhook routes, the twilio-webhook-source kamelet and the write-back route
 * use. The lead calls {@link #bind} from {@code Beans.bind}; tests call it on a plain registry.
 */
public final class WebhookBeans implements AutoCloseable {
  private final WebhookEventStore store;
  private final WebhookProcessor processor;
  private final WebhookMetrics metrics;
  private final CrmWriteback writeback;

  private WebhookBeans(
      WebhookEventStore store,
      WebhookProcessor processor,
      WebhookMetrics metrics,
      CrmWriteback writeback) {
    this.store = store;
    this.processor = processor;
    this.metrics = metrics;
    this.writeback = writeback;
  }

  public static WebhookBeans bind(
      BiConsumer<String, Object> registry,
      Function<String, String> lookup,
      ConnectorConfig cfg,
      Database db) {
    boolean sandbox = cfg == null || cfg.mode() == Mode.SANDBOX;
    WebhookSettings s = WebhookSettings.from(lookup, sandbox);
    WebhookMetrics metrics = new WebhookMetrics();
    Keywords keywords = Keywords.of(s);
    WebhookEventStore store =
        new WebhookEventStore(
            db.dataSource(),
            db.vendor(),
            s.writerThreads(),
            s.writerBatch(),
            metrics,
            s.ackWaitMillis());
    RejectionLog rejections =
        new RejectionLog(
            new Settings(lookup).integer("webhook.rejection-log.per-minute", 30, 1, 100_000));
    WebhookProcessor processor = new WebhookProcessor(db.dataSource(), keywords, s.processBatch());
    store.onStored(processor::wake);
    CrmWriteback writeback =
        new CrmWriteback(
            db.dataSource(),
            metrics,
            new CrmLookup(
                new Settings(lookup)
                    .string(
                        "webhook.crm.lookup.phone-fields",
                        "Contact=MobilePhone|Phone,Lead=MobilePhone|Phone")),
            new Settings(lookup).integer("webhook.crm.writeback.batch-size", 200, 1, 200),
            Duration.ofMillis(
                new Settings(lookup)
                    .integer("webhook.crm.writeback.initial-backoff-millis", 1000, 10, 3_600_000)),
            Duration.ofMillis(
                new Settings(lookup)
                    .integer("webhook.crm.writeback.max-backoff-millis", 60_000, 10, 3_600_000)));
    registry.accept("webhookMetrics", metrics);
    WebhookGate gate = new WebhookGate(s, metrics, rejections);
    registry.accept("twilioWebhookGate", gate);
    registry.accept("twilioWebhookFailed", (org.apache.camel.Processor) gate::failed);
    // Installed on the HTTP server once it runs (ConnectorApp): refusals before any route.
    registry.accept("twilioWebhookEdge", new WebhookEdge(metrics, rejections));
    registry.accept("twilioWebhookStore", store);
    WebhookReplies replies = new WebhookReplies(keywords, s.helpText(), db.dataSource());
    registry.accept("twilioWebhookReplies", replies);
    // The kamelet's last step on every request: a plain processor, no bean method binding.
    registry.accept("twilioWebhookFinish", (org.apache.camel.Processor) replies::finish);
    registry.accept("twilioWebhookProcessor", processor);
    registry.accept("crmWriteback", writeback);
    // platform-http-vertx runs each request on a Vert.x worker thread that waits for the group
    // commit; the default 20 workers would cap in-flight webhooks at 20. The HTTP server picks up
    // a VertxOptions bean when it creates its Vert.x instance.
    registry.accept(
        "vertxOptions",
        new io.vertx.core.VertxOptions()
            .setWorkerPoolSize(
                new Settings(lookup).integer("webhook.http.worker-threads", 64, 1, 1024)));
    // No salesforce component here: the runtime configures camel-salesforce from
    // camel.component.salesforce.* in both modes, and its streaming consumers refuse lazy login.
    return new WebhookBeans(store, processor, metrics, writeback);
  }

  public WebhookProcessor processor() {
    return processor;
  }

  public WebhookMetrics metrics() {
    return metrics;
  }

  public CrmWriteback writeback() {
    return writeback;
  }

  @Override
  public void close() {
    store.close();
  }
}
