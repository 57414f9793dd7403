package org.twiliocrm.observe;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.Map;

/**
 * {@code %ids} in the text log pattern: the correlation ids the line's MDC holds, as {@code
 * [outboxId=12 sid=SM...]} after a space, or nothing when it holds none (start-up, the result
 * writer). logback's {@code %X} prints the whole MDC, Camel's keys included, and {@code %X{key}}
 * prints an empty {@code key=} for every id that is not set; a line here names only what it has.
 *
 * <p>The outbox and webhook event ids are the connector's own row numbers and are written as they
 * are; the SID, CRM record id and trace id come from requests and events, so they pass through the
 * same phone masking as the message ({@link PhoneMask}; a real SID, record id or trace id has no
 * free-standing run of digits and is written unchanged).
 */
public class MdcIdsConverter extends ClassicConverter {
  /** The keys app/MdcUnitOfWork sets, in the order a reader follows the work. */
  private static final String[] KEYS = {"outboxId", "webhookEventId", "sid", "crmRecordId"};

  private static final String TRACE = "traceId";

  @Override
  public String convert(ILoggingEvent event) {
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc == null || mdc.isEmpty()) {
      return "";
    }
    StringBuilder sb = null;
    for (String key : KEYS) {
      sb = append(sb, key, mdc.get(key), !key.equals("outboxId") && !key.equals("webhookEventId"));
    }
    sb = append(sb, TRACE, mdc.get(TRACE), true);
    return sb == null ? "" : sb.append(']').toString();
  }

  private static StringBuilder append(StringBuilder sb, String key, String value, boolean mask) {
    if (value == null || value.isEmpty()) {
      return sb;
    }
    StringBuilder out = sb == null ? new StringBuilder(" [") : sb.append(' ');
    return out.append(key).append('=').append(mask ? PhoneMask.mask(value) : value);
  }
}
