package org.twiliocrm.webhook;

import java.sql.SQLException;
import org.apache.camel.Exchange;
import org.twiliocrm.outbound.ChannelFallback;

/**
 * Step of the stored-event route after a message or call status was applied: hands the event to the
 * outbox's {@link ChannelFallback} on the batch's transaction, so a final undelivered or failed
 * status queues the row's next channel in the same commit as the event's DONE mark. The decision
 * itself is the fallback's; this only supplies the transaction.
 */
public final class StatusFallback {
  private volatile ChannelFallback fallback;

  /** Route step: the event is the body, the batch's transaction an exchange property. */
  public void afterStatus(Exchange exchange) throws SQLException {
    ChannelFallback f = fallback;
    if (f == null) {
      // Bound by the outbox (OutboxBeans); absent when the outbox is not wired.
      f = exchange.getContext().getRegistry().findSingleByType(ChannelFallback.class);
      if (f == null) {
        return;
      }
      fallback = f;
    }
    StoredEvent e = exchange.getMessage().getBody(StoredEvent.class);
    if (e.status() == null || !ChannelFallback.FAILED_STATUSES.contains(e.status())) {
      // Nothing to decide (afterStatus would return at once): the batch's statuses stay unwritten.
      return;
    }
    f.afterStatus(WebhookEventFlow.connection(exchange), e.sid(), e.status());
  }
}
