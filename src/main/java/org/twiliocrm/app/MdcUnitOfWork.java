package org.twiliocrm.app;

import java.util.Collection;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.salesforce.SalesforceConstants;
import org.apache.camel.impl.engine.MDCUnitOfWork;
import org.apache.camel.spi.UnitOfWork;
import org.apache.camel.spi.UnitOfWorkFactory;
import org.slf4j.MDC;
import org.twiliocrm.outbound.OutboxWork;
import org.twiliocrm.outbound.Outcome;
import org.twiliocrm.webhook.StoredEvent;
import org.twiliocrm.webhook.WebhookEvent;
import org.twiliocrm.webhook.WebhookGate;

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
 *
 * <p>Cost: the ids are worked out once per exchange, not before every step: they are kept in one
 * exchange property ({@link Ids}, with the body, message and outcome they were read from) and read
 * again only when a step replaced the body or the message or decided the row's outcome. A step that
 * ends synchronously leaves them in the thread's MDC for the next step of the same exchange, which
 * then finds them there and puts nothing; they are removed when a step hands the exchange to
 * another thread and when the exchange is done, so no line outside a route carries them.
 */
final class MdcUnitOfWork extends MDCUnitOfWork {
  static final String OUTBOX_ID = "outboxId";
  static final String SID = "sid";
  static final String CRM_RECORD_ID = "crmRecordId";
  static final String WEBHOOK_EVENT_ID = "webhookEventId";
  static final String TRACE_ID = "traceId";

  /**
   * The exchange's {@link Ids}. Kept across copies of the exchange (split, SEDA), unlike the MDC,
   * which carries the trace id to the copies.
   */
  static final String IDS_PROPERTY = "connectorMdcIds";

  /** Set while {@link #afterProcess} runs for a step that ended on this thread. */
  private boolean keepIds;

  /** Set once the exchange is done: from then on every clear removes the ids. */
  private boolean done;

  private MdcUnitOfWork(Exchange exchange) {
    // No pattern of custom keys for Camel's async callback: with one it copies and matches the
    // whole MDC at every step; the ids are read from the exchange again before the next step
    // anyway.
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

  /**
   * The correlation ids of one exchange, worked out from the body, message and outcome it holds.
   * Null for an id the exchange has not.
   */
  record Ids(
      Object body,
      Message message,
      Outcome outcome,
      Object webhookEvent,
      String trace,
      String outboxId,
      String webhookEventId,
      String sid,
      String crmRecordId) {

    /**
     * Still this exchange's ids: the same body, message, (for an outbox row) outcome, and checked
     * webhook (the gate sets it once a callback's signature holds).
     */
    boolean readFrom(Message m, Object b, Object event) {
      return message == m
          && body == b
          && webhookEvent == event
          && (!(b instanceof OutboxWork w) || w.getOutcome() == outcome);
    }
  }

  static void putIds(Exchange exchange) {
    Object cached = exchange.getProperty(IDS_PROPERTY);
    Message m = exchange.getMessage();
    Object body = m.getBody();
    Object event = exchange.getProperty(WebhookGate.EVENT);
    Ids ids;
    if (cached instanceof Ids c && c.readFrom(m, body, event)) {
      ids = c;
    } else {
      ids = read(exchange, m, body, event, cached instanceof Ids c ? c.trace() : null);
      exchange.setProperty(IDS_PROPERTY, ids);
    }
    set(TRACE_ID, ids.trace());
    set(OUTBOX_ID, ids.outboxId());
    set(WEBHOOK_EVENT_ID, ids.webhookEventId());
    set(SID, ids.sid());
    set(CRM_RECORD_ID, ids.crmRecordId());
  }

  private static Ids read(Exchange exchange, Message m, Object body, Object event, String trace) {
    if (trace == null) {
      trace = traceOf(m, exchange);
    }
    String outboxId = null;
    String webhookEventId = null;
    String sid = null;
    Outcome outcome = null;
    if (body instanceof OutboxWork w) {
      outboxId = Long.toString(w.getRow().id());
      outcome = w.getOutcome();
      sid = outcome == null ? null : outcome.twilioSid();
    }
    if (body instanceof StoredEvent e) {
      webhookEventId = Long.toString(e.id());
      sid = e.sid();
    }
    if (sid == null && event instanceof WebhookEvent checked) {
      // A webhook request, once the gate has checked its signature (the form's fields are not
      // headers; before the check, its MessageSid is anyone's claim).
      sid = checked.sid();
    }
    if (sid == null) {
      sid = m.getHeader("MessageSid", String.class);
      if (sid == null) {
        sid = m.getHeader("CallSid", String.class);
      }
    }
    Object records = m.getHeader(SalesforceConstants.HEADER_SALESFORCE_RECORD_IDS);
    if (records instanceof Collection<?> c && !c.isEmpty()) {
      records = c.iterator().next();
    }
    return new Ids(
        body,
        m,
        outcome,
        event,
        trace,
        outboxId,
        webhookEventId,
        blankToNull(sid),
        records instanceof String s ? blankToNull(s) : null);
  }

  private static String traceOf(Message m, Exchange exchange) {
    String parent = m.getHeader("traceparent", String.class);
    // 00-<32 hex trace id>-<16 hex span id>-<flags>
    if (parent != null && parent.length() >= 35 && parent.charAt(2) == '-') {
      return parent.substring(3, 35);
    }
    return exchange.getExchangeId();
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** Puts the value (removes the key for null) unless the thread's MDC already holds it. */
  private static void set(String key, String value) {
    String current = MDC.get(key);
    if (value == null) {
      if (current != null) {
        MDC.remove(key);
      }
    } else if (!value.equals(current)) {
      MDC.put(key, value);
    }
  }

  private static void removeIds() {
    MDC.remove(OUTBOX_ID);
    MDC.remove(SID);
    MDC.remove(CRM_RECORD_ID);
    MDC.remove(WEBHOOK_EVENT_ID);
    MDC.remove(TRACE_ID);
  }

  @Override
  public UnitOfWork newInstance(Exchange exchange) {
    return new MdcUnitOfWork(exchange);
  }

  /**
   * Camel clears the MDC after every step. A step that ended on this thread ({@code doneSync}) is
   * followed by the exchange's next step here, which needs the same ids: they stay, unless the
   * exchange is already done. A step that went asynchronous continues on another thread: they go.
   */
  @Override
  public void afterProcess(
      Processor processor, Exchange exchange, AsyncCallback callback, boolean doneSync) {
    keepIds = doneSync && !done;
    try {
      super.afterProcess(processor, exchange, callback, doneSync);
    } finally {
      keepIds = false;
    }
  }

  @Override
  protected void onDone() {
    done = true;
    super.onDone();
  }

  @Override
  public void reset() {
    done = false;
    super.reset();
  }

  @Override
  public void clear() {
    super.clear();
    if (!keepIds) {
      removeIds();
    }
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
