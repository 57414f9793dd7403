package org.twiliocrm.outbound;

import org.apache.camel.Exchange;

/** Kamelet twilio-send-message-action: one Messages API create, result in CamelTwilioResult. */
public final class TwilioSendMessage extends TwilioCreateProcessor {
  private String messagingServiceSid;

  public void setMessagingServiceSid(String messagingServiceSid) {
    this.messagingServiceSid = messagingServiceSid;
  }

  @Override
  public void process(Exchange exchange) {
    var in = exchange.getMessage();
    defaultSenderAndCallback(in);
    defaultHeader(in, TwilioActions.MESSAGING_SERVICE_SID, messagingServiceSid);
    actions().sendMessage(exchange);
  }
}
