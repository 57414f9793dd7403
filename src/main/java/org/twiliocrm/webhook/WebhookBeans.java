package org.twiliocrm.webhook;

import java.util.function.BiConsumer;
import org.twiliocrm.db.Database;
import org.twiliocrm.outbound.OutboxStore;

/**
 * Binds the beans the webhook routes and the twilio-webhook-source kamelet use: the gate and store
 * of the endpoints, and the stored-event route's transaction ({@code twilioWebhookEvents}) and
 * handlers, one per kind. The lead calls {@link #bind} from {@code Beans.bind}.
 */
public final class WebhookBeans {
  private WebhookBeans() {}

  public static void bind(BiConsumer<String, Object> registry, WebhookSettings s, Database db) {
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
    RejectionLog rejections = new RejectionLog(s.rejectionLogPerMinute());
    WebhookEventFlow flow = new WebhookEventFlow(db.dataSource(), store, s.processBatch());
    store.onStored(flow::wake);
    MessageStateStore states = new MessageStateStore(db.dataSource());
    CrmActionQueue actions = new CrmActionQueue(db.dataSource());
    boolean outbox = OutboxStore.present(db.dataSource());
    registry.accept("webhookMetrics", metrics);
    // The edge decodes each form body and hands it to the gate (not through Camel's headers).
    FormHandoff forms = new FormHandoff();
    WebhookGate gate = new WebhookGate(s, metrics, rejections, forms);
    registry.accept("twilioWebhookGate", gate);
    registry.accept("twilioWebhookFailed", (org.apache.camel.Processor) gate::failed);
    // Installed on the HTTP server once it runs (ConnectorApp): refusals before any route.
    registry.accept(
        "twilioWebhookEdge", new WebhookEdge(metrics, rejections, s.maxBodyBytes(), forms));
    registry.accept("twilioWebhookStore", store);
    WebhookReplies replies = new WebhookReplies(keywords, s.helpText(), db.dataSource());
    registry.accept("twilioWebhookReplies", replies);
    // The kamelet's last step on every request: a plain processor, no bean method binding.
    registry.accept("twilioWebhookFinish", (org.apache.camel.Processor) replies::finish);
    // The stored-event route: its transaction, and one handler per kind of event.
    registry.accept("twilioWebhookEvents", flow);
    registry.accept("twilioMessageStatusHandler", new MessageStatusHandler(states, outbox));
    registry.accept(
        "twilioInboundMessageHandler",
        new InboundMessageHandler(states, actions, keywords, outbox));
    registry.accept("twilioCallStatusHandler", new CallStatusHandler(states, actions, outbox));
    // Channel fallback after a final failed status (the decision: outbound.ChannelFallback).
    registry.accept("twilioStatusFallback", new StatusFallback());
    // The write-back (package crm) drains these two tables.
    registry.accept("messageStateStore", states);
    registry.accept("crmActionQueue", actions);
    // platform-http-vertx runs each request on a Vert.x worker thread that waits for the group
    // commit; the default 20 workers would cap in-flight webhooks at 20. The HTTP server picks up
    // a VertxOptions bean when it creates its Vert.x instance.
    registry.accept(
        "vertxOptions", new io.vertx.core.VertxOptions().setWorkerPoolSize(s.httpWorkerThreads()));
  }
}
