package org.twiliocrm.outbound;

import org.apache.camel.Exchange;

/** Kamelet twilio-place-call-action: one Calls API create, result in CamelTwilioResult. */
public final class TwilioPlaceCall extends TwilioActionProcessor {
  private String from;
  private String statusCallback;

  public void setFrom(String from) {
    this.from = from;
  }

  public void setStatusCallback(String statusCallback) {
    this.statusCallback = statusCallback;
  }

  @Override
  public void process(Exchange exchange) {
    var in = exchange.getMessage();
    defaultHeader(in, TwilioActions.FROM, from);
    defaultHeader(in, TwilioActions.STATUS_CALLBACK, statusCallback);
    actions().placeCall(exchange);
  }
}
