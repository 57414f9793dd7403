package org.twiliocrm.observe;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * logback's pattern encoder, writing each event with phone numbers masked and database error
 * details removed from its message and exception texts ({@link MaskedEvent}). Used by logback.xml's
 * text appender.
 */
public class MaskingPatternEncoder extends PatternLayoutEncoder {
  @Override
  public byte[] encode(ILoggingEvent event) {
    return super.encode(MaskedEvent.of(event));
  }
}
