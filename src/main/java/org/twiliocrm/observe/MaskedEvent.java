package org.twiliocrm.observe;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.LoggerContextVO;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;

/**
 * A logging event as the encoders write it: the formatted message and every exception text in its
 * cause chain with phone numbers masked ({@link PhoneMask}) and any database error "Detail:" part
 * (which quotes row values) removed. Everything else is the original event's.
 */
final class MaskedEvent implements ILoggingEvent {
  private static final Pattern DETAIL =
      Pattern.compile(
          "(?s)\\s*\\bDetail: .*?(?=\\n\\s*(?:Hint|Where|Position|Call getNextException):|$)");

  /** MDC keys whose values come from requests and events (see MdcIdsConverter). */
  static final List<String> REQUEST_MDC_KEYS = List.of("sid", "crmRecordId", "traceId");

  private final ILoggingEvent e;
  private final String message;
  private final Map<String, String> mdc;
  private final IThrowableProxy throwable;

  private MaskedEvent(ILoggingEvent e, String message, Map<String, String> mdc) {
    this.e = e;
    this.message = message;
    this.mdc = mdc;
    this.throwable =
        e.getThrowableProxy() == null ? null : new MaskedThrowable(e.getThrowableProxy());
  }

  /** {@code e} masked; {@code e} itself when nothing in it needs masking. */
  static ILoggingEvent of(ILoggingEvent e) {
    String m = e.getFormattedMessage();
    // Cleaned once: the patterns are the cost of a line that has a long digit run.
    String cleaned = clean(m);
    Map<String, String> mdc = maskedMdc(e.getMDCPropertyMap());
    if (e.getThrowableProxy() == null && (m == null || m.equals(cleaned)) && mdc == null) {
      return e;
    }
    return new MaskedEvent(e, cleaned, mdc == null ? e.getMDCPropertyMap() : mdc);
  }

  /**
   * The MDC with the request-borne ids masked as the message is (the JSON encoder writes the whole
   * MDC: an unsigned webhook's MessageSid may be anything), or null when nothing changed.
   */
  private static Map<String, String> maskedMdc(Map<String, String> mdc) {
    if (mdc == null || mdc.isEmpty()) {
      return null;
    }
    Map<String, String> out = null;
    for (String key : REQUEST_MDC_KEYS) {
      String v = mdc.get(key);
      if (v == null) {
        continue;
      }
      String masked = PhoneMask.mask(v);
      if (!masked.equals(v)) {
        if (out == null) {
          out = new java.util.HashMap<>(mdc);
        }
        out.put(key, masked);
      }
    }
    return out;
  }

  /** Masks phone numbers and drops a database error's Detail part. */
  static String clean(String text) {
    if (text == null) {
      return null;
    }
    String t =
        text.contains("Detail: ") ? DETAIL.matcher(text).replaceAll(" [detail removed]") : text;
    return PhoneMask.mask(t);
  }

  @Override
  public String getThreadName() {
    return e.getThreadName();
  }

  @Override
  public Level getLevel() {
    return e.getLevel();
  }

  @Override
  public String getMessage() {
    // The pattern and JSON encoders write the formatted message; the raw template goes masked too.
    return message;
  }

  @Override
  public Object[] getArgumentArray() {
    return null;
  }

  @Override
  public String getFormattedMessage() {
    return message;
  }

  @Override
  public String getLoggerName() {
    return e.getLoggerName();
  }

  @Override
  public LoggerContextVO getLoggerContextVO() {
    return e.getLoggerContextVO();
  }

  @Override
  public IThrowableProxy getThrowableProxy() {
    return throwable;
  }

  @Override
  public StackTraceElement[] getCallerData() {
    return e.getCallerData();
  }

  @Override
  public boolean hasCallerData() {
    return e.hasCallerData();
  }

  @Override
  public Marker getMarker() {
    return e.getMarker();
  }

  @Override
  public List<Marker> getMarkerList() {
    return e.getMarkerList();
  }

  @Override
  public Map<String, String> getMDCPropertyMap() {
    return mdc;
  }

  @SuppressWarnings("deprecation")
  @Override
  public Map<String, String> getMdc() {
    return mdc;
  }

  @Override
  public long getTimeStamp() {
    return e.getTimeStamp();
  }

  @Override
  public int getNanoseconds() {
    return e.getNanoseconds();
  }

  @Override
  public long getSequenceNumber() {
    return e.getSequenceNumber();
  }

  @Override
  public List<KeyValuePair> getKeyValuePairs() {
    return e.getKeyValuePairs();
  }

  @Override
  public void prepareForDeferredProcessing() {
    e.prepareForDeferredProcessing();
  }

  /** An exception as logged, its message (and its causes' and suppressed ones') masked. */
  private static final class MaskedThrowable implements IThrowableProxy {
    private final IThrowableProxy t;
    private final String message;
    private final IThrowableProxy cause;
    private final IThrowableProxy[] suppressed;

    MaskedThrowable(IThrowableProxy t) {
      this.t = t;
      this.message = clean(t.getMessage());
      this.cause =
          t.getCause() == null || t.isCyclic() ? t.getCause() : new MaskedThrowable(t.getCause());
      IThrowableProxy[] s = t.getSuppressed();
      if (s == null) {
        this.suppressed = null;
      } else {
        this.suppressed = new IThrowableProxy[s.length];
        for (int i = 0; i < s.length; i++) {
          suppressed[i] = s[i] == null ? null : new MaskedThrowable(s[i]);
        }
      }
    }

    @Override
    public String getMessage() {
      return message;
    }

    @Override
    public String getClassName() {
      return t.getClassName();
    }

    @Override
    public StackTraceElementProxy[] getStackTraceElementProxyArray() {
      return t.getStackTraceElementProxyArray();
    }

    @Override
    public int getCommonFrames() {
      return t.getCommonFrames();
    }

    @Override
    public IThrowableProxy getCause() {
      return cause;
    }

    @Override
    public IThrowableProxy[] getSuppressed() {
      return suppressed;
    }

    @Override
    public boolean isCyclic() {
      return t.isCyclic();
    }
  }
}
