package org.twiliocrm.crm;

import java.util.function.BiConsumer;
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

  /** {@code owner}: this replica's name in the write-back's lease columns. */
  public static void bind(
      BiConsumer<String, Object> registry, WritebackSettings s, Database db, String owner) {
    registry.accept(
        "crmWriteback",
        new CrmWriteback(
            new MessageStateStore(db.dataSource(), s.interimDelay()),
            new CrmActionQueue(db.dataSource()),
            new CrmLookup(s.lookupPhoneFields()),
            s.batchSize(),
            s.initialBackoff(),
            s.maxBackoff(),
            owner,
            s.lease()));
  }
}
