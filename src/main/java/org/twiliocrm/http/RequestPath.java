package org.twiliocrm.http;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The path of an HTTP request on the connector's port, as the operator API and the console both
 * route on it: one reading of Camel's headers, so the two never disagree about which page or
 * endpoint a request names.
 */
public final class RequestPath {
  private RequestPath() {}

  /**
   * The request's path without its query: {@link Exchange#HTTP_URI}, else {@link
   * Exchange#HTTP_PATH}, else "" when the message carries neither.
   */
  public static String of(Message in) {
    String uri = in.getHeader(Exchange.HTTP_URI, String.class);
    if (uri == null) {
      uri = in.getHeader(Exchange.HTTP_PATH, String.class);
    }
    if (uri == null) {
      return "";
    }
    int q = uri.indexOf('?');
    return q < 0 ? uri : uri.substring(0, q);
  }
}
