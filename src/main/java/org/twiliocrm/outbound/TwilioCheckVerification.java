package org.twiliocrm.outbound;

import org.apache.camel.Exchange;

/**
 * Kamelet twilio-check-verification-action: one Verify v2 VerificationCheck, verdict in
 * CamelTwilioVerificationStatus.
 */
public final class TwilioCheckVerification extends TwilioActionProcessor {
  private String serviceSid;

  public void setServiceSid(String serviceSid) {
    this.serviceSid = serviceSid;
  }

  @Override
  public void process(Exchange exchange) {
    defaultHeader(exchange.getMessage(), TwilioActions.SERVICE_SID, serviceSid);
    actions().checkVerification(exchange);
  }
}
