package org.twiliocrm.outbound;

import com.twilio.exception.ApiConnectionException;
import com.twilio.exception.ApiException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Call;
import com.twilio.rest.api.v2010.account.CallCreator;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.rest.api.v2010.account.MessageCreator;
import com.twilio.rest.verify.v2.service.Verification;
import com.twilio.rest.verify.v2.service.VerificationCheck;
import com.twilio.type.PhoneNumber;
import com.twilio.type.Twiml;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import org.apache.camel.Exchange;

/**
 * The Java behind the three Twilio kamelets. Each reads its inputs from {@code CamelTwilio*}
 * headers (numbers travel as header values, never in an endpoint URI, where {@code +} would turn
 * into a space), makes exactly one create call with the SDK, removes the headers it consumed and
 * reports a {@link TwilioCallResult} in a header. It never throws for a Twilio failure: what a
 * failure means is the outbox's policy, not the kamelet's.
 *
 * <p>Why the SDK and not camel-twilio's {@code message/creator} endpoint: camel-twilio 4.17 maps
 * only the creator's constructor arguments, so it cannot send ContentSid/ContentVariables,
 * StatusCallback or a body with media in one message, and it adds a thread-pool hop per call. The
 * SDK client is the same {@link TwilioRestClient} bean camel-twilio would autowire, so hidden
 * retries stay off either way.
 */
public final class TwilioActions {
  public static final String TO = "CamelTwilioTo";
  public static final String FROM = "CamelTwilioFrom";
  public static final String MESSAGING_SERVICE_SID = "CamelTwilioMessagingServiceSid";
  public static final String BODY = "CamelTwilioBody";
  public static final String MEDIA_URL = "CamelTwilioMediaUrl";
  public static final String CONTENT_SID = "CamelTwilioContentSid";
  public static final String CONTENT_VARIABLES = "CamelTwilioContentVariables";
  public static final String TWIML = "CamelTwilioTwiml";
  public static final String CHANNEL = "CamelTwilioChannel";
  public static final String STATUS_CALLBACK = "CamelTwilioStatusCallback";
  public static final String SERVICE_SID = "CamelTwilioServiceSid";
  public static final String CODE = "CamelTwilioCode";

  /**
   * Set by the check: approved, pending (a wrong code), not-found (nothing pending for this number:
   * never started, expired, already approved), max-attempts (60202), or error (Twilio unreachable
   * or another failure; CamelTwilioResult has the detail).
   */
  public static final String VERIFICATION_STATUS = "CamelTwilioVerificationStatus";

  private final TwilioRestClient client;

  public TwilioActions(TwilioRestClient client) {
    this.client = client;
  }

  /** Kamelet twilio-send-message-action. */
  public void sendMessage(Exchange exchange) {
    org.apache.camel.Message in = exchange.getMessage();
    String statusCallback = in.getHeader(STATUS_CALLBACK, String.class);
    String to = in.getHeader(TO, String.class);
    String from = in.getHeader(FROM, String.class);
    String service = in.getHeader(MESSAGING_SERVICE_SID, String.class);
    String body = in.getHeader(BODY, String.class);
    @SuppressWarnings("unchecked")
    List<String> media = in.getHeader(MEDIA_URL, List.class);
    String contentSid = in.getHeader(CONTENT_SID, String.class);
    String contentVariables = in.getHeader(CONTENT_VARIABLES, String.class);
    strip(
        in,
        TO,
        FROM,
        MESSAGING_SERVICE_SID,
        BODY,
        MEDIA_URL,
        CONTENT_SID,
        CONTENT_VARIABLES,
        STATUS_CALLBACK);
    TwilioCallResult result;
    try {
      MessageCreator c =
          service != null
              ? Message.creator(new PhoneNumber(to), service, body)
              : Message.creator(new PhoneNumber(to), new PhoneNumber(from), body);
      if (service != null && from != null) {
        c.setFrom(new PhoneNumber(from));
      }
      if (media != null && !media.isEmpty()) {
        c.setMediaUrl(media.stream().map(URI::create).toList());
      }
      if (contentSid != null) {
        c.setContentSid(contentSid);
        if (contentVariables != null) {
          c.setContentVariables(contentVariables);
        }
      }
      if (statusCallback != null && !statusCallback.isBlank()) {
        c.setStatusCallback(URI.create(statusCallback));
      }
      Message m = c.create(client);
      result =
          TwilioCallResult.accepted(
              m.getSid(),
              m.getStatus() == null ? null : m.getStatus().toString(),
              parseInt(m.getNumSegments()));
    } catch (RuntimeException e) {
      result = failure(e);
    }
    in.setHeader(TwilioCallResult.HEADER, result);
  }

  /** Kamelet twilio-place-call-action: a call that speaks the TwiML in CamelTwilioTwiml. */
  public void placeCall(Exchange exchange) {
    org.apache.camel.Message in = exchange.getMessage();
    String statusCallback = in.getHeader(STATUS_CALLBACK, String.class);
    String to = in.getHeader(TO, String.class);
    String from = in.getHeader(FROM, String.class);
    String twiml = in.getHeader(TWIML, String.class);
    strip(in, TO, FROM, TWIML, STATUS_CALLBACK);
    TwilioCallResult result;
    try {
      CallCreator c = Call.creator(new PhoneNumber(to), new PhoneNumber(from), new Twiml(twiml));
      if (statusCallback != null && !statusCallback.isBlank()) {
        c.setStatusCallback(URI.create(statusCallback));
      }
      Call call = c.create(client);
      result =
          TwilioCallResult.accepted(
              call.getSid(), call.getStatus() == null ? null : call.getStatus().toString(), null);
    } catch (RuntimeException e) {
      result = failure(e);
    }
    in.setHeader(TwilioCallResult.HEADER, result);
  }

  /** Kamelet twilio-start-verification-action: Verify v2, which camel-twilio does not cover. */
  public void startVerification(Exchange exchange) {
    org.apache.camel.Message in = exchange.getMessage();
    String serviceSid = in.getHeader(SERVICE_SID, String.class);
    String to = in.getHeader(TO, String.class);
    String channel = in.getHeader(CHANNEL, "sms", String.class);
    strip(in, TO, CHANNEL, SERVICE_SID);
    TwilioCallResult result;
    try {
      Verification v = Verification.creator(serviceSid, to, channel).create(client);
      result = TwilioCallResult.accepted(v.getSid(), v.getStatus(), null);
    } catch (RuntimeException e) {
      result = failure(e);
    }
    in.setHeader(TwilioCallResult.HEADER, result);
  }

  /**
   * Kamelet twilio-check-verification-action: one Verify v2 VerificationCheck of the code a user
   * typed. Never throws for a Twilio answer: the verdict is in {@link #VERIFICATION_STATUS}.
   */
  public void checkVerification(Exchange exchange) {
    org.apache.camel.Message in = exchange.getMessage();
    String serviceSid = in.getHeader(SERVICE_SID, String.class);
    String to = in.getHeader(TO, String.class);
    String code = in.getHeader(CODE, String.class);
    strip(in, TO, CODE, SERVICE_SID);
    TwilioCallResult result;
    String verdict;
    try {
      VerificationCheck c =
          VerificationCheck.creator(serviceSid).setTo(to).setCode(code).create(client);
      result = TwilioCallResult.accepted(c.getSid(), c.getStatus(), null);
      verdict = "approved".equals(c.getStatus()) ? "approved" : "pending";
    } catch (RuntimeException e) {
      result = failure(e);
      Integer http = result.httpStatus();
      Integer twilioCode = result.errorCode();
      verdict =
          http != null && http == 404
              ? "not-found"
              : (twilioCode != null && twilioCode == 60202) ? "max-attempts" : "error";
    }
    in.setHeader(TwilioCallResult.HEADER, result);
    in.setHeader(VERIFICATION_STATUS, verdict);
  }

  /** Sorts a failed call into answered-with-an-error, never-sent, or may-have-arrived. */
  static TwilioCallResult failure(RuntimeException e) {
    if (e instanceof ApiException api && api.getStatusCode() != null) {
      return new TwilioCallResult(
          TwilioCallResult.Kind.REJECTED,
          null,
          null,
          null,
          api.getStatusCode(),
          api.getCode(),
          api.getMessage());
    }
    Throwable cause = e.getCause();
    while (cause != null && cause.getCause() != null && !isConnectFailure(cause)) {
      cause = cause.getCause();
    }
    TwilioCallResult.Kind kind =
        isConnectFailure(cause) ? TwilioCallResult.Kind.NOT_SENT : TwilioCallResult.Kind.UNKNOWN;
    if (e instanceof ApiConnectionException && cause == null) {
      // The SDK's "Unable to connect to server": no response object at all.
      kind = TwilioCallResult.Kind.UNKNOWN;
    }
    return new TwilioCallResult(
        kind, null, null, null, null, null, cause == null ? e.toString() : cause.toString());
  }

  /**
   * Failures that prove the request never reached Twilio: the TCP connection was not made (refused,
   * no route, unknown host, connect timeout) or no pooled connection was free.
   */
  static boolean isConnectFailure(Throwable t) {
    if (t == null) {
      return false;
    }
    String name = t.getClass().getName();
    return t instanceof ConnectException
        || t instanceof NoRouteToHostException
        || t instanceof UnknownHostException
        || name.equals("org.apache.hc.client5.http.ConnectTimeoutException")
        || name.equals("org.apache.hc.client5.http.HttpHostConnectException")
        || (t instanceof InterruptedIOException
            && String.valueOf(t.getMessage()).toLowerCase().contains("connect timed out"))
        || name.equals("org.apache.hc.core5.util.DeadlineTimeoutException")
        || (name.equals("org.apache.hc.client5.http.ConnectionRequestTimeoutException"));
  }

  private static Integer parseInt(String s) {
    try {
      return s == null ? null : Integer.valueOf(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static void strip(org.apache.camel.Message in, String... names) {
    for (String n : names) {
      in.removeHeader(n);
    }
  }
}
