package org.twiliocrm.app;

import java.util.Collection;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.salesforce.SalesforceConstants;
import org.apache.camel.impl.engine.MDCUnitOfWork;
import org.apache.camel.spi.UnitOfWork;
import org.apache.camel.spi.UnitOfWorkFactory;
import org.slf4j.MDC;
import org.twiliocrm.outbound.OutboxWork;
import org.twiliocrm.outbound.Outcome;
import org.twiliocrm.webhook.StoredEvent;

/**
 * Camel's MDC unit of work plus the connector's correlation ids ({@code connector.log.mdc}). Before
 * every processor runs (on whichever thread: a SEDA consumer, a split, a Vert.x loop) it reads them
 * from the exchange, so they follow the work across threads without any step setting MDC itself:
 *
 * <ul>
 *   <li>{@code outboxId}: the outbox row (body {@link OutboxWork}); {@code sid} once it is sent;
 *   <li>{@code webhookEventId} and {@code sid}: a stored webhook event being applied ({@link
 *       StoredEvent});
 *   <li>{@code sid}: a webhook request's MessageSid / CallSid form field;
 *   <li>{@code crmRecordId}: a Salesforce event's first record id;
 *   <li>{@code traceId}: one id for the whole tree of exchanges a piece of work started (a claimed
 *       batch, a webhook request, an event), kept across split and SEDA hand-offs as an exchange
 *       property; a request's W3C {@code traceparent} trace id when it carries one.
 * </ul>
 *
 * Camel's own keys ({@code camel.routeId}, {@code camel.exchangeId}, ...) come with it.
 */
final class MdcUnitOfWork extends MDCUnitOfWork {
  static final String OUTBOX_ID = "outboxId";
  static final String SID = "sid";
  static final String CRM_RECORD_ID = "crmRecordId";
  static final String WEBHOOK_EVENT_ID = "webhookEventId";
  static final String TRACE_ID = "traceId";

  /** Kept across copies of the exchange (split, SEDA), unlike the MDC. */
  static final String TRACE_PROPERTY = "connectorTraceId";

  private MdcUnitOfWork(Exchange exchange) {
    // No pattern of custom keys for Camel's async callback: with one it copies and matches the
    // whole
    // MDC at every step; the ids are read from the exchange again before the next step anyway.
    super(
        exchange,
        exchange.getContext().getInflightRepository(),
        null,
        exchange.getContext().isAllowUseOriginalMessage(),
        exchange.getContext().isUseBreadcrumb());
  }

  @Override
  protected void prepareMDC(Exchange exchange) {
    super.prepareMDC(exchange);
    putIds(exchange);
  }

  static void putIds(Exchange exchange) {
    String trace = exchange.getProperty(TRACE_PROPERTY, String.class);
    Message m = exchange.getMessage();
    if (trace == null) {
      trace = traceOf(m, exchange);
      exchange.setProperty(TRACE_PROPERTY, trace);
    }
    MDC.put(TRACE_ID, trace);
    Object body = m.getBody();
    String sid = null;
    if (body instanceof OutboxWork w) {
      MDC.put(OUTBOX_ID, Long.toString(w.getRow().id()));
      Outcome o = w.getOutcome();
      sid = o == null ? null : o.twilioSid();
    } else {
      MDC.remove(OUTBOX_ID);
    }
    if (body instanceof StoredEvent e) {
      MDC.put(WEBHOOK_EVENT_ID, Long.toString(e.id()));
      sid = e.sid();
    } else {
      MDC.remove(WEBHOOK_EVENT_ID);
    }
    if (sid == null) {
      sid = m.getHeader("MessageSid", String.class);
      if (sid == null) {
        sid = m.getHeader("CallSid", String.class);
      }
    }
    put(SID, sid);
    Object records = m.getHeader(SalesforceConstants.HEADER_SALESFORCE_RECORD_IDS);
    if (records instanceof Collection<?> c && !c.isEmpty()) {
      records = c.iterator().next();
    }
    put(CRM_RECORD_ID, records instanceof String s ? s : null);
  }

  private static String traceOf(Message m, Exchange exchange) {
    String parent = m.getHeader("traceparent", String.class);
    // 00-<32 hex trace id>-<16 hex span id>-<flags>
    if (parent != null && parent.length() >= 35 && parent.charAt(2) == '-') {
      return parent.substring(3, 35);
    }
    return exchange.getExchangeId();
  }

  private static void put(String key, String value) {
    if (value == null || value.isEmpty()) {
      MDC.remove(key);
    } else {
      MDC.put(key, value);
    }
  }

  @Override
  public UnitOfWork newInstance(Exchange exchange) {
    return new MdcUnitOfWork(exchange);
  }

  @Override
  public void clear() {
    super.clear();
    MDC.remove(OUTBOX_ID);
    MDC.remove(SID);
    MDC.remove(CRM_RECORD_ID);
    MDC.remove(WEBHOOK_EVENT_ID);
    MDC.remove(TRACE_ID);
  }

  /** The factory the connector installs when {@code connector.log.mdc} is true. */
  static final class Factory implements UnitOfWorkFactory {
    @Override
    public UnitOfWork createUnitOfWork(Exchange exchange) {
      return new MdcUnitOfWork(exchange);
    }

    @Override
    public void afterPropertiesConfigured(CamelContext camelContext) {}
  }
}
