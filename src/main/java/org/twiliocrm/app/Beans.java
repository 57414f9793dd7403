package org.twiliocrm.app;

import java.util.function.BiConsumer;
import java.util.function.Function;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.crm.events.CrmEventsBeans;
import org.twiliocrm.db.Database;
import org.twiliocrm.outbound.OutboxBeans;
import org.twiliocrm.twilio.TwilioClientFactory;

/**
 * The beans YAML routes may reference by name. The running connector and the validate command bind
 * the same set, so a route that validates also resolves its beans at run time.
 */
public final class Beans {
  private Beans() {}

  public static void bind(BiConsumer<String, Object> registry, ConnectorConfig cfg, Database db) {
    registry.accept("dataSource", db.dataSource());
    registry.accept("connectorDatabase", db);
    registry.accept("connectorConfig", cfg);
    registry.accept("connectorInfo", new ConnectorInfo(cfg, db.displayUrl()));
  }

  /** The core beans plus each flow's, which read their own keys through {@code lookup}. */
  public static void bind(
      BiConsumer<String, Object> registry,
      Function<String, String> lookup,
      ConnectorConfig cfg,
      Database db) {
    bind(registry, cfg, db);
    // Outbox (database triggers to Twilio): one TwilioRestClient without hidden retries.
    TwilioClientFactory twilio = OutboxBeans.twilioClientFactory(lookup, cfg);
    registry.accept("twilioRestClient", twilio.create());
    OutboxBeans.bind(registry, lookup, cfg.db(), db, twilio.create()).closeAfter(twilio);
    // CRM events (Salesforce platform events and record changes to the outbox).
    CrmEventsBeans.bind(registry, lookup, db);
    // Webhooks (signed, persisted, forward-only).
    org.twiliocrm.webhook.WebhookBeans.bind(registry, lookup, cfg, db);
    // The Salesforce write-back of what the webhooks recorded.
    org.twiliocrm.crm.CrmBeans.bind(registry, lookup, db);
  }
}
