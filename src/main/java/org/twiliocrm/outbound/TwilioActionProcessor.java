package org.twiliocrm.outbound;

import com.twilio.http.TwilioRestClient;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * Base of the processors the twilio-*-action kamelets bind through {@code template.beans}: the
 * connector's {@link TwilioRestClient} (found by type; hidden retries off) and the kamelet's typed
 * properties as defaults for headers the caller did not set. A header always wins, so numbers and
 * per-message values keep travelling as headers, never in an endpoint URI.
 */
abstract class TwilioActionProcessor implements Processor {
  private TwilioActions actions;

  public void setClient(TwilioRestClient client) {
    this.actions = new TwilioActions(client);
  }

  TwilioActions actions() {
    if (actions == null) {
      throw new IllegalStateException(getClass().getSimpleName() + ": client is not set");
    }
    return actions;
  }

  static void defaultHeader(Message in, String name, String value) {
    if (value != null && !value.isBlank() && in.getHeader(name) == null) {
      in.setHeader(name, value);
    }
  }

  @Override
  public abstract void process(Exchange exchange);
}
