package org.twiliocrm.crm.events;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.twiliocrm.db.Database;
import org.twiliocrm.outbound.Templates;

/**
 * Binds what the two CRM-event routes refer to by name:
 *
 * <ul>
 *   <li>{@code crmEvents}: maps raw events to outbox rows / rejections, builds write-back Tasks
 *   <li>{@code crmEventStore}: one transaction per group of events (rows + rejections + replay id)
 *   <li>{@code crmEventCommitter}: the group commit the routes hand each event's outcome to
 *   <li>{@code crmEventSubscriptions}: a LifecycleStrategy that starts the routes on the leader
 *       after pinning each channel's stored replay id
 *   <li>{@code crmEventsSettings}, {@code crmSendRules}
 * </ul>
 */
public final class CrmEventsBeans {
  private CrmEventsBeans() {}

  /** Where committed rejections go to be written back (a route in crm-events-to-outbox.yaml). */
  static final String WRITE_BACK_QUEUE = "seda:crm-events-write-back";

  /**
   * With {@code crm.events.enabled=false}, the route files to leave out. Loaded but never started,
   * a salesforce:subscribe consumer registers camel-salesforce's streaming helper, which the stock
   * component then starts: a CometD handshake and /meta/connect polls with no subscriber ({@link
   * LeaderOnlyStreamingComponent} no longer does that; the routes stay out all the same).
   */
  public static java.util.Optional<String> routesExcludePattern(CrmEventsSettings s) {
    if (s.enabled()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        "**/crm-events-to-outbox.camel.yaml,**/crm-record-changes-to-outbox.camel.yaml,"
            + "**/crm-consent-sync.camel.yaml");
  }

  public static CrmEventSubscriptions bind(
      BiConsumer<String, Object> registry,
      CrmEventsSettings s,
      String templatesLocation,
      Database db) {
    return bind(
        registry,
        s,
        Templates.load(
            templatesLocation,
            org.twiliocrm.governance.templates.TemplateSettings.defaults().defaultLocale()),
        db);
  }

  public static CrmEventSubscriptions bind(
      BiConsumer<String, Object> registry, CrmEventsSettings s, Templates templates, Database db) {
    SendRules rules = SendRules.load(s.rulesLocation(), s.defaultChannel());
    AtomicReference<CamelContext> context = new AtomicReference<>();
    CrmEventMetrics metrics =
        new CrmEventMetrics(
            () -> {
              CamelContext c = context.get();
              return c == null ? null : c.getRegistry().findSingleByType(MeterRegistry.class);
            });
    RecipientResolver recipients =
        new RecipientResolver(new CamelSoqlClient(context::get), s.phoneFields());
    TemplateCatalog catalog = TemplateCatalog.of(templates);
    CrmEventStore store =
        new CrmEventStore(
            db.dataSource(),
            metrics,
            s.sender(),
            db.vendor() == org.twiliocrm.config.ConnectorConfig.Vendor.POSTGRESQL);
    CrmEvents events =
        new CrmEvents(
            new PlatformEventMapper(recipients, catalog, s.defaultChannel()),
            new ChangeEventMapper(rules, recipients, catalog),
            s,
            metrics);
    AtomicReference<ProducerTemplate> writeBackSender = new AtomicReference<>();
    CrmEventCommitter committer =
        new CrmEventCommitter(
            store,
            s.maxRedeliveries(),
            recipients::resolveAll,
            outcome -> {
              if (!s.writeBack()) {
                return;
              }
              // Off the committer thread: a slow Salesforce must not hold back commits.
              ProducerTemplate t =
                  writeBackSender.updateAndGet(
                      p -> p != null ? p : context.get().createProducerTemplate());
              try {
                t.sendBody(WRITE_BACK_QUEUE, outcome);
              } catch (RuntimeException e) {
                metrics.writeBackFailed();
                throw e;
              }
            });
    CrmEventSubscriptions subscriptions =
        new CrmEventSubscriptions(s, store, committer, metrics, !rules.isEmpty(), context);
    // camel-salesforce whose CometD session lives only while a subscription route runs: only the
    // leader handshakes, and a leader that steps down disconnects.
    registry.accept("salesforce", new LeaderOnlyStreamingComponent());
    registry.accept("crmEventsSettings", s);
    registry.accept("crmSendRules", rules);
    registry.accept("crmEvents", events);
    registry.accept("crmEventStore", store);
    registry.accept("crmEventCommitter", committer);
    registry.accept("crmEventMetrics", metrics);
    registry.accept("crmEventSubscriptions", subscriptions);
    registry.accept("crmEventsLeader", subscriptions.routePolicy());
    return subscriptions;
  }
}
