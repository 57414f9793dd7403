package org.twiliocrm.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The console's sandbox phone ({@code /api/sandbox/*}, sandbox mode only): the Twilio sandbox's
 * handset endpoints (its control API, CONTROL-API.md) relayed through the connector's port, since
 * the console's pages may only talk to their own origin. Bound only in sandbox mode: in live mode
 * the paths answer 404.
 *
 * <pre>
 *   GET  /api/sandbox/handsets                          viewer   handsets that received something
 *   GET  /api/sandbox/handsets/{phone}/inbox            viewer   what the handset received
 *   GET  /api/sandbox/handsets/{phone}/calls            viewer   calls to it, with their outcome
 *   POST /api/sandbox/handsets/{phone}/messages         approver {"to": sender, "body": "STOP"}
 * </pre>
 */
public final class SandboxPhone {
  public static final String BEAN = "sandboxPhone";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern PHONE = Pattern.compile("(whatsapp:)?\\+?[0-9]{3,15}");
  static final int MAX_BODY = 1600;

  private final String base;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /** {@code twilioBaseUrl}: the Twilio sandbox the connector's client talks to. */
  public SandboxPhone(String twilioBaseUrl) {
    this.base = twilioBaseUrl.replaceAll("/+$", "") + "/sandbox";
  }

  /** An answer from the sandbox: its status and JSON. */
  record Answer(int status, JsonNode body) {}

  Answer handsets() {
    return call("GET", "/handsets", null);
  }

  Answer inbox(String phone) {
    return call("GET", "/handsets/" + path(phone) + "/inbox", null);
  }

  Answer calls(String phone) {
    return call("GET", "/handsets/" + path(phone) + "/calls", null);
  }

  /** The handset sends {@code body} to {@code to} (one of the connector's senders). */
  Answer send(String phone, String to, String body) {
    if (to == null || !PHONE.matcher(to).matches()) {
      throw new OperatorApi.ClientError(400, "'to' must be the sender's number, e.g. +15005550006");
    }
    if (body == null || body.isEmpty()) {
      throw new OperatorApi.ClientError(400, "'body' is required");
    }
    if (body.length() > MAX_BODY) {
      throw new OperatorApi.ClientError(400, "'body' is longer than " + MAX_BODY + " characters");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("to", to);
    m.put("body", body);
    try {
      return call("POST", "/handsets/" + path(phone) + "/messages", JSON.writeValueAsString(m));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String path(String phone) {
    if (phone == null || !PHONE.matcher(phone).matches()) {
      throw new OperatorApi.ClientError(
          400, "the handset must be a phone number, e.g. +14155552671");
    }
    return URLEncoder.encode(phone, StandardCharsets.UTF_8);
  }

  private Answer call(String method, String path, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(10))
            .header("Accept", "application/json");
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode n;
      try {
        n = JSON.readTree(r.body());
      } catch (IOException e) {
        n = JSON.createObjectNode().put("message", "the Twilio sandbox answered " + r.statusCode());
      }
      return new Answer(r.statusCode(), n);
    } catch (IOException e) {
      throw new OperatorApi.ClientError(503, "the Twilio sandbox cannot be reached: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OperatorApi.ClientError(503, "interrupted");
    }
  }
}
