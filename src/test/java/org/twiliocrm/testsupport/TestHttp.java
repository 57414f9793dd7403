package org.twiliocrm.testsupport;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP the tests speak to the emulators' control APIs and to the connector: HTTP/1.1, as
 * Twilio's and Salesforce's clients do (the JDK client's default h2c upgrade against Vert.x hung
 * one request for 120 s under load).
 */
public final class TestHttp {
  public static final String JSON_TYPE = "application/json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = client();

  /** A new HTTP/1.1 client. */
  public static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  /**
   * Sends {@code body} (none when null) with {@code method} to {@code url}; {@code contentType},
   * when not null, is sent even without a body, as the control-API callers always did; {@code
   * headers} are further name, value pairs.
   */
  public HttpResponse<String> send(
      String method, String url, String contentType, byte[] body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + url, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(method + " " + url + " interrupted", e);
    }
  }

  /** A JSON text body (or none) with Content-Type application/json. */
  public HttpResponse<String> sendJson(String method, String url, String json) {
    return send(
        method, url, JSON_TYPE, json == null ? null : json.getBytes(StandardCharsets.UTF_8));
  }

  public HttpResponse<String> get(String url) {
    return send("GET", url, null, null);
  }

  /** HTTP Basic credentials, as an Authorization header's value. */
  public static String basic(String user, String password) {
    return "Basic "
        + java.util.Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** The response's body as JSON (object, array or value); a status of 400 or more throws. */
  public static Object parse(HttpResponse<String> r) {
    if (r.statusCode() >= 400) {
      throw new IllegalStateException(r.statusCode() + " " + r.body());
    }
    try {
      return JSON.readValue(r.body(), Object.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code body} as JSON bytes (null stays null). */
  public static byte[] json(Object body) {
    try {
      return body == null ? null : JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
