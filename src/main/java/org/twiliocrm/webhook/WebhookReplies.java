package org.twiliocrm.webhook;

import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.outbound.OutboxStore;
import org.twiliocrm.outbound.Twiml;

/**
 * What the webhook endpoints answer: empty 200s for callbacks, TwiML for inbound messages (the HELP
 * text) and for the TwiML that outbound calls fetch, and the bare status of a rejection.
 */
public final class WebhookReplies {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookReplies.class);
  public static final String CONTENT_TYPE = "twilioWebhookContentType";
  private static final String EMPTY_TWIML = Twiml.DECLARATION + "<Response/>";

  private final Keywords keywords;
  private final String helpText;
  private final DataSource dataSource;

  public WebhookReplies(Keywords keywords, String helpText, DataSource dataSource) {
    this.keywords = keywords;
    this.helpText = helpText;
    this.dataSource = dataSource;
  }

  /** Route step of the inbound endpoint: HELP gets the configured text, anything else no reply. */
  public void inboundTwiml(Exchange exchange) {
    WebhookEvent e = exchange.getProperty(WebhookGate.EVENT, WebhookEvent.class);
    String twiml = EMPTY_TWIML;
    if (e != null
        && keywords.classify(e.param("Body")) == Keywords.Kind.HELP
        && !helpText.isBlank()) {
      twiml = Twiml.DECLARATION + Twiml.message(helpText);
    }
    exchange.getMessage().setBody(twiml);
    exchange.setProperty(CONTENT_TYPE, "text/xml");
  }

  /**
   * Route step of the TwiML endpoint: reads the message of the outbox row the call belongs to (the
   * {@code id} query parameter, else the row whose twilio_sid is the CallSid) and speaks it.
   */
  public void callTwiml(Exchange exchange) {
    WebhookEvent e = exchange.getProperty(WebhookGate.EVENT, WebhookEvent.class);
    String query = exchange.getMessage().getHeader(Exchange.HTTP_QUERY, String.class);
    Long id = null;
    if (query != null) {
      for (String p : query.split("&")) {
        if (p.startsWith("id=")) {
          try {
            id = Long.valueOf(p.substring(3));
          } catch (NumberFormatException ignored) {
            id = -1L;
          }
        }
      }
    }
    String body = null;
    try {
      body = OutboxStore.body(dataSource, id, id != null || e == null ? null : e.sid());
    } catch (SQLException ex) {
      LOG.warn("TwiML lookup failed: {}", ex.toString());
    }
    String twiml =
        body == null
            ? Twiml.DECLARATION + "<Response><Hangup/></Response>"
            : Twiml.DECLARATION + Twiml.say(body);
    exchange.getMessage().setBody(twiml);
    exchange.setProperty(CONTENT_TYPE, "text/xml");
  }

  /**
   * Last step of every webhook reply, after all headers were removed: the status the request
   * earned, its content type, and no body for a rejection.
   */
  public void finish(Exchange exchange) {
    Integer status = exchange.getProperty(WebhookGate.STATUS, Integer.class);
    int code = status == null ? 500 : status;
    var m = exchange.getMessage();
    m.setHeader(Exchange.HTTP_RESPONSE_CODE, code);
    if (code != 200) {
      // The reason code (as counted in twiliocrm_webhook_rejected_total), never request data.
      String reason = exchange.getProperty(WebhookGate.REASON, String.class);
      m.setBody(reason == null ? "" : reason + "\n");
      m.setHeader(Exchange.CONTENT_TYPE, "text/plain");
      return;
    }
    String type = exchange.getProperty(CONTENT_TYPE, String.class);
    if (type == null) {
      m.setBody("");
      type = "text/plain";
    }
    m.setHeader(Exchange.CONTENT_TYPE, type);
  }
}
