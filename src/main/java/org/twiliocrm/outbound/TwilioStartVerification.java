package org.twiliocrm.outbound;

import org.apache.camel.Exchange;

/** Kamelet twilio-start-verification-action: one Verify v2 create, result in CamelTwilioResult. */
public final class TwilioStartVerification extends TwilioActionProcessor {
  private String serviceSid;
  private String channel;

  public void setServiceSid(String serviceSid) {
    this.serviceSid = serviceSid;
  }

  public void setChannel(String channel) {
    this.channel = channel;
  }

  @Override
  public void process(Exchange exchange) {
    var in = exchange.getMessage();
    defaultHeader(in, TwilioActions.SERVICE_SID, serviceSid);
    defaultHeader(in, TwilioActions.CHANNEL, channel);
    actions().startVerification(exchange);
  }
}
