package org.twiliocrm.observe;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * logback's JSON encoder (one object per line), writing each event with phone numbers masked and
 * database error details removed from its message and exception texts ({@link MaskedEvent}). Used
 * by logback.xml's json appender ({@code CONNECTOR_LOG_FORMAT=json}).
 */
public class MaskingJsonEncoder extends JsonEncoder {
  @Override
  public byte[] encode(ILoggingEvent event) {
    return super.encode(MaskedEvent.of(event));
  }
}
