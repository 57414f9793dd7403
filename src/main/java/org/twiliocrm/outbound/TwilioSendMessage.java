package org.twiliocrm.outbound;

import org.apache.camel.Exchange;

/** Kamelet twilio-send-message-action: one Messages API create, result in CamelTwilioResult. */
public final class TwilioSendMessage extends TwilioActionProcessor {
  private String from;
  private String messagingServiceSid;
  private String statusCallback;

  public void setFrom(String from) {
    this.from = from;
  }

  public void setMessagingServiceSid(String messagingServiceSid) {
    this.messagingServiceSid = messagingServiceSid;
  }

  public void setStatusCallback(String statusCallback) {
    this.statusCallback = statusCallback;
  }

  @Override
  public void process(Exchange exchange) {
    var in = exchange.getMessage();
    defaultHeader(in, TwilioActions.FROM, from);
    defaultHeader(in, TwilioActions.MESSAGING_SERVICE_SID, messagingServiceSid);
    defaultHeader(in, TwilioActions.STATUS_CALLBACK, statusCallback);
    actions().sendMessage(exchange);
  }
}
