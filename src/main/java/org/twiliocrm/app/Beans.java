package org.twiliocrm.app;

import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.config.Mode;
import org.twiliocrm.crm.CrmBeans;
import org.twiliocrm.crm.WritebackSettings;
import org.twiliocrm.crm.events.CrmEventsBeans;
import org.twiliocrm.crm.events.CrmEventsSettings;
import org.twiliocrm.db.Database;
import org.twiliocrm.outbound.OutboxBeans;
import org.twiliocrm.outbound.OutboxSettings;
import org.twiliocrm.twilio.TwilioClientFactory;
import org.twiliocrm.twilio.TwilioClientSettings;
import org.twiliocrm.webhook.WebhookBeans;
import org.twiliocrm.webhook.WebhookSettings;

/**
 * The beans YAML routes may reference by name. The running connector and the validate command bind
 * the same set, so a route that validates also resolves its beans at run time. Each flow's typed
 * settings are read here, once, from the keys they declare, and handed to the flow's beans.
 */
public final class Beans {
  private Beans() {}

  public static void bind(BiConsumer<String, Object> registry, ConnectorConfig cfg, Database db) {
    bind(registry, cfg, db, 0);
  }

  /**
   * {@code managementPort}: connector.management.port, which GET / names for health and metrics.
   */
  static void bind(
      BiConsumer<String, Object> registry, ConnectorConfig cfg, Database db, int managementPort) {
    registry.accept("dataSource", db.dataSource());
    registry.accept("connectorDatabase", db);
    registry.accept("connectorConfig", cfg);
    registry.accept("connectorInfo", new ConnectorInfo(cfg, db.displayUrl(), managementPort));
    registry.accept("operatorApi", new org.twiliocrm.operator.OperatorApi());
    registry.accept(
        org.twiliocrm.operator.MessageQueries.BEAN,
        new org.twiliocrm.operator.MessageQueries(db.dataSource()));
    registry.accept(
        org.twiliocrm.operator.Dashboard.BEAN,
        new org.twiliocrm.operator.Dashboard(db.dataSource(), java.time.Clock.systemUTC()));
    registry.accept(
        org.twiliocrm.operator.FailedMessages.BEAN,
        new org.twiliocrm.operator.FailedMessages(db.dataSource(), java.time.Clock.systemUTC()));
    registry.accept(
        "operatorConsole", new org.twiliocrm.console.ConsoleHandler(cfg.http().publicUrl()));
    registry.accept(
        org.twiliocrm.operator.OperatorApi.LIVE_EVENTS,
        new org.twiliocrm.operator.LiveEvents(db.dataSource()));
  }

  /** The core beans plus each flow's, built from the settings read through {@code lookup}. */
  public static void bind(
      BiConsumer<String, Object> registry,
      Function<String, String> lookup,
      ConnectorConfig cfg,
      Database db) {
    bind(registry, cfg, db, ObservabilitySettings.MANAGEMENT_PORT.read(lookup));
    boolean sandbox = cfg.mode() == Mode.SANDBOX;
    // Outbox (database triggers to Twilio): one TwilioRestClient without hidden retries, aimed at
    // the sandbox in sandbox mode (the validate command starts none: its defaults stand in).
    Function<String, String> twilioLookup = sandbox ? Sandboxes.twilioClient(lookup) : lookup;
    TwilioClientFactory twilio =
        new TwilioClientFactory(Sandboxes.settings(() -> TwilioClientSettings.from(twilioLookup)));
    com.twilio.http.TwilioRestClient restClient = twilio.create();
    registry.accept("twilioRestClient", restClient);
    OutboxSettings outbox = OutboxSettings.from(lookup);
    // The console's senders page (the senders command's table) and, in sandbox mode, its phone.
    String publicUrl = cfg.http().publicUrl().replaceAll("/+$", "");
    String statusUrl = OutboxSettings.STATUS_CALLBACK_URL.read(lookup);
    // With twilio.region set, the expected URLs carry ?region= as the outbox's callbacks do (the
    // senders command checks the same).
    org.twiliocrm.twilio.TwilioRegion region = twilio.settings().region();
    registry.accept(
        org.twiliocrm.operator.SendersReport.BEAN,
        new org.twiliocrm.operator.SendersReport(
            new org.twiliocrm.senders.SenderAudit(
                region.callbackUrl(publicUrl + "/webhooks/twilio/inbound"),
                statusUrl == null
                    ? region.callbackUrl(publicUrl + "/webhooks/twilio/message-status")
                    : statusUrl),
            () -> org.twiliocrm.senders.SenderInventory.load(restClient),
            java.time.Clock.systemUTC(),
            region.label()));
    if (sandbox && twilioLookup.apply("twilio.base-url") != null) {
      registry.accept(
          org.twiliocrm.operator.SandboxPhone.BEAN,
          new org.twiliocrm.operator.SandboxPhone(twilioLookup.apply("twilio.base-url")));
    }
    org.twiliocrm.outbound.OutboxRuntime outboxRuntime =
        OutboxBeans.bind(
                registry,
                outbox,
                org.twiliocrm.governance.templates.TemplateSettings.from(lookup),
                org.twiliocrm.governance.GovernanceSettings.from(lookup),
                org.twiliocrm.outbound.FallbackSettings.from(lookup),
                org.twiliocrm.governance.RecipientSettings.from(lookup),
                org.twiliocrm.senders.SenderSettings.from(lookup),
                org.twiliocrm.outbound.PacingSettings.from(lookup),
                cfg.db(),
                db,
                twilio.create(),
                // The webhook flow's forward-only status rule, for SentLink.
                org.twiliocrm.webhook.MessageStatus::predecessors)
            .closeAfter(twilio);
    // CRM events (Salesforce platform events and record changes to the outbox), checked against
    // the same live set of templates as the outbox.
    CrmEventsSettings crmEvents = CrmEventsSettings.from(lookup);
    org.twiliocrm.crm.events.CrmEventSubscriptions subscriptions =
        CrmEventsBeans.bind(registry, crmEvents, outboxRuntime.templateCatalog(), db);
    // Retention runs on the CRM events leader; without CRM events there is no election.
    registry.accept(
        "retentionJob",
        new org.twiliocrm.retention.RetentionJob(
            org.twiliocrm.retention.RetentionSettings.from(lookup),
            db.dataSource(),
            crmEvents.enabled() ? subscriptions::isLeader : () -> true,
            java.time.Clock.systemUTC()));
    // Webhooks (signed, persisted, forward-only); in sandbox mode every sandbox account signs, and
    // a secondary token without twilio.account-sid belongs to the sandbox's first account.
    WebhookSettings webhooks =
        WebhookSettings.from(sandbox ? Sandboxes.webhookOwner(lookup) : lookup);
    Map<String, String> sandboxTokens =
        sandbox ? Sandboxes.accountTokens(lookup) : Map.<String, String>of();
    WebhookBeans.bind(registry, webhooks.withAuthTokens(sandboxTokens), db);
    // The Salesforce write-back of what the webhooks recorded, claimed under this instance's name
    // (the outbox's), so replicas share it instead of each sending everything.
    CrmBeans.bind(registry, WritebackSettings.from(lookup), db, outbox.instanceId());
    // Governance in Salesforce (routes/governance-to-salesforce.camel.yaml): what its sink reads
    // and marks in the database.
    registry.accept(
        "governanceSalesforceStore",
        new org.twiliocrm.crm.approvals.ApprovalStore(db.dataSource(), db.vendor()));
  }
}
