package org.twiliocrm.outbound;

import org.apache.camel.Message;

/**
 * Base of the kamelet processors that create a message or a call: both take the sender ({@code
 * from}) and the status callback URL as typed kamelet properties, defaults for the headers.
 */
abstract class TwilioCreateProcessor extends TwilioActionProcessor {
  private String from;
  private String statusCallback;

  public void setFrom(String from) {
    this.from = from;
  }

  public void setStatusCallback(String statusCallback) {
    this.statusCallback = statusCallback;
  }

  /** Sets the sender and status callback headers the caller left unset to the kamelet's values. */
  void defaultSenderAndCallback(Message in) {
    defaultHeader(in, TwilioActions.FROM, from);
    defaultHeader(in, TwilioActions.STATUS_CALLBACK, statusCallback);
  }
}
