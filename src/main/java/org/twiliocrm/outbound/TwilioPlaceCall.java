package org.twiliocrm.outbound;

import org.apache.camel.Exchange;

/** Kamelet twilio-place-call-action: one Calls API create, result in CamelTwilioResult. */
public final class TwilioPlaceCall extends TwilioCreateProcessor {
  @Override
  public void process(Exchange exchange) {
    defaultSenderAndCallback(exchange.getMessage());
    actions().placeCall(exchange);
  }
}
