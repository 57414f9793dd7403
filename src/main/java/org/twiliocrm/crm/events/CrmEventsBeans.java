package org.twiliocrm.crm.events;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.camel.CamelContext;
import org.twiliocrm.db.Database;
import org.twiliocrm.outbound.OutboxSettings;
import org.twiliocrm.outbound.Templates;

/**
 * Binds what the two CRM-event routes refer to by name:
 *
 * <ul>
 *   <li>{@code crmEvents}: maps raw events to outbox rows / rejections, builds write-back Tasks
 *   <li>{@code crmEventStore}: the one transaction per event (rows + rejections + replay id)
 *   <li>{@code crmEventSubscriptions}: a LifecycleStrategy that starts the routes on the leader
 *       after pinning each channel's stored replay id
 *   <li>{@code crmEventsSettings}, {@code crmSendRules}
 * </ul>
 */
public final class CrmEventsBeans {
  private CrmEventsBeans() {}

  public static CrmEventSubscriptions bind(
      BiConsumer<String, Object> registry, Function<String, String> lookup, Database db) {
    CrmEventsSettings s = CrmEventsSettings.from(lookup);
    SendRules rules = SendRules.load(s.rulesLocation(), s.defaultChannel());
    Templates templates = Templates.load(OutboxSettings.from(lookup).templatesLocation());
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
    CrmEventSubscriptions subscriptions =
        new CrmEventSubscriptions(s, store, metrics, !rules.isEmpty(), context);
    registry.accept("crmEventsSettings", s);
    registry.accept("crmSendRules", rules);
    registry.accept("crmEvents", events);
    registry.accept("crmEventStore", store);
    registry.accept("crmEventMetrics", metrics);
    registry.accept("crmEventSubscriptions", subscriptions);
    return subscriptions;
  }
}
