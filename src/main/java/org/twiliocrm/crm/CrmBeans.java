package org.twiliocrm.crm;

import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.twiliocrm.config.Settings;
import org.twiliocrm.db.Database;
import org.twiliocrm.webhook.CrmActionQueue;
import org.twiliocrm.webhook.MessageStateStore;

/**
 * Binds the write-back into Salesforce ({@code crmWriteback}), which drains the message state and
 * CRM actions the webhook flow records. No salesforce component here: the runtime configures
 * camel-salesforce from camel.component.salesforce.* in both modes.
 */
public final class CrmBeans {
  private CrmBeans() {}

  public static void bind(
      BiConsumer<String, Object> registry, Function<String, String> lookup, Database db) {
    Settings settings = new Settings(lookup);
    registry.accept(
        "crmWriteback",
        new CrmWriteback(
            new MessageStateStore(db.dataSource()),
            new CrmActionQueue(db.dataSource()),
            new CrmLookup(
                settings.string(
                    "webhook.crm.lookup.phone-fields",
                    "Contact=MobilePhone|Phone,Lead=MobilePhone|Phone")),
            settings.integer("webhook.crm.writeback.batch-size", 200, 1, 200),
            Duration.ofMillis(
                settings.integer(
                    "webhook.crm.writeback.initial-backoff-millis", 1000, 10, 3_600_000)),
            Duration.ofMillis(
                settings.integer(
                    "webhook.crm.writeback.max-backoff-millis", 60_000, 10, 3_600_000))));
  }
}
