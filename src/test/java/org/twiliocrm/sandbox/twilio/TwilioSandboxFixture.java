package org.twiliocrm.sandbox.twilio;

import com.fasterxml.jackson.core.type.TypeReference;
import com.twilio.http.TwilioRestClient;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.twiliocrm.testsupport.TestHttp;
import org.twiliocrm.twilio.TwilioClientFactory;
import org.twiliocrm.twilio.TwilioClientSettings;

/** Starts a sandbox on a free port with a twilio-java client pointed at it. */
final class TwilioSandboxFixture implements AutoCloseable {
  static final String ACCOUNT = TwilioSandboxSettings.DEFAULT_ACCOUNT_SID;
  static final String TOKEN = TwilioSandboxSettings.DEFAULT_AUTH_TOKEN;
  static final String KEY = "SK11111111111111111111111111111111";
  static final String KEY_SECRET = "key-secret";
  static final String NUMBER = "+15005550006";

  final TwilioSandbox sandbox;
  final TwilioClientFactory factory;
  final TwilioRestClient client;
  private final TestHttp http = new TestHttp();

  TwilioSandboxFixture(Map<String, String> overrides) {
    this(overrides, false);
  }

  /** With {@code lazyValidation}, the OpenAPI loads on the first request (as in the connector). */
  TwilioSandboxFixture(Map<String, String> overrides, boolean lazyValidation) {
    Map<String, String> s = new HashMap<>();
    s.put("sandbox.twilio.port", "0");
    s.put("sandbox.twilio.event-loops", "2");
    s.put("sandbox.twilio.lifecycle.step-millis", "20");
    s.put("sandbox.twilio.api-keys", KEY + ":" + KEY_SECRET + ":" + ACCOUNT);
    s.put("sandbox.twilio.validation.responses", "true");
    s.putAll(overrides);
    TwilioSandboxSettings settings = TwilioSandboxSettings.from(s::get);
    sandbox = lazyValidation ? TwilioSandbox.startLazy(settings) : TwilioSandbox.start(settings);
    factory = factory(TOKEN);
    client = factory.create();
  }

  TwilioClientFactory factory(String token) {
    return new TwilioClientFactory(
        new TwilioClientSettings(
            sandbox.baseUrl(), ACCOUNT, token, null, null, 50, 10000, 60000, null, null));
  }

  /** Calls the control API; returns the parsed JSON (object or array). */
  Object control(String method, String path, Object body) {
    HttpResponse<String> r =
        http.send(method, sandbox.baseUrl() + path, null, body == null ? null : Wire.json(body));
    if (r.statusCode() >= 400) {
      throw new IllegalStateException(r.statusCode() + " " + r.body());
    }
    try {
      return Wire.JSON.readValue(r.body(), Object.class);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A raw request to the Twilio API as the default account (Basic auth), with {@code form} (already
   * encoded) as an x-www-form-urlencoded body when not null: for where the wire itself is the
   * point.
   */
  HttpResponse<String> api(String method, String path, String form) {
    return http.send(
        method,
        sandbox.baseUrl() + path,
        form == null ? null : "application/x-www-form-urlencoded",
        form == null ? null : form.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "Authorization",
        TestHttp.basic(ACCOUNT, TOKEN));
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> controlMap(String method, String path, Object body) {
    return (Map<String, Object>) control(method, path, body);
  }

  @SuppressWarnings("unchecked")
  List<Map<String, Object>> controlList(String path) {
    return (List<Map<String, Object>>) control("GET", path, null);
  }

  long requests(String key) {
    Object v = controlMap("GET", "/sandbox/requests", null).get(key);
    return v == null ? 0 : ((Number) v).longValue();
  }

  static <T> T convert(Object o, TypeReference<T> type) {
    return Wire.JSON.convertValue(o, type);
  }

  @Override
  public void close() {
    factory.close();
    sandbox.close();
  }
}
