package org.twiliocrm.sandbox.salesforce;

import java.lang.reflect.Field;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.salesforce.AuthenticationType;
import org.apache.camel.component.salesforce.SalesforceComponent;
import org.apache.camel.component.salesforce.SalesforceEndpointConfig;
import org.apache.camel.impl.DefaultCamelContext;
import org.awaitility.Awaitility;
import org.slf4j.LoggerFactory;
import org.twiliocrm.testsupport.TestHttp;

/** Starts a sandbox org and a plain Camel context whose salesforce component logs in to it. */
final class SalesforceSandboxFixture implements AutoCloseable {
  static {
    // camel-salesforce's own worker threads may throw while reconnecting; that is the client's
    // business, the tests judge by what arrives.
    Awaitility.doNotCatchUncaughtExceptionsByDefault();
    String debug = System.getProperty("sandbox.debug");
    if (debug != null) {
      for (String name : debug.split(",")) {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name))
            .setLevel(ch.qos.logback.classic.Level.DEBUG);
      }
    }
  }

  final SalesforceSandbox org;
  final CamelContext camel;
  final ProducerTemplate template;
  private final TestHttp http = new TestHttp();

  private final boolean ownsOrg;

  private SalesforceSandboxFixture(SalesforceSandbox org, CamelContext camel, boolean ownsOrg) {
    this.org = org;
    this.camel = camel;
    this.template = camel.createProducerTemplate();
    this.ownsOrg = ownsOrg;
  }

  static SalesforceSandboxSettings settings(Path dataDir) {
    return SalesforceSandboxSettings.defaults().withPort(0).withDataDir(dataDir);
  }

  /** Password-grant component, the connector's default. */
  static void passwordLogin(SalesforceComponent sf, SalesforceSandboxSettings s) {
    sf.setAuthenticationType(AuthenticationType.USERNAME_PASSWORD);
    sf.setClientId(s.clientId());
    sf.setClientSecret(s.clientSecret());
    sf.setUserName(s.username());
    sf.setPassword(s.password());
  }

  static SalesforceSandboxFixture start(SalesforceSandbox org, Consumer<SalesforceComponent> login)
      throws Exception {
    return create(org, login, true);
  }

  /** A Camel context for an org the caller keeps running after this fixture closes. */
  static SalesforceSandboxFixture startShared(
      SalesforceSandbox org, Consumer<SalesforceComponent> login) throws Exception {
    return create(org, login, false);
  }

  private static SalesforceSandboxFixture create(
      SalesforceSandbox org, Consumer<SalesforceComponent> login, boolean ownsOrg)
      throws Exception {
    clearCamelReplayIds();
    CamelContext camel = new DefaultCamelContext();
    SalesforceComponent sf = new SalesforceComponent();
    sf.setLoginUrl(org.baseUrl());
    login.accept(sf);
    SalesforceEndpointConfig config = new SalesforceEndpointConfig();
    config.setApiVersion("62.0");
    config.setRawPayload(true);
    // Keep retries of streaming reconnects short so fault tests stay fast.
    config.setBackoffIncrement(200L);
    config.setMaxBackoff(2000L);
    sf.setConfig(config);
    camel.addComponent("salesforce", sf);
    return new SalesforceSandboxFixture(org, camel, ownsOrg);
  }

  static SalesforceSandboxFixture start(Path dataDir) throws Exception {
    SalesforceSandboxSettings s = settings(dataDir);
    SalesforceSandbox org = SalesforceSandbox.start(s);
    SalesforceSandboxFixture f = start(org, sf -> passwordLogin(sf, s));
    f.camel.start();
    return f;
  }

  /**
   * Opens the streaming connection with a throw-away subscription before the test's own consumers
   * start. camel-salesforce 4.17 races its first /meta/connect listener against the first
   * consumer's subscribe and may then register that consumer's listener twice (each event handed
   * over twice, unsubscribe never sent); later consumers do not hit the race.
   */
  void warmUpStreaming() throws Exception {
    camel.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("salesforce:subscribe:data/ChangeEvents").routeId("sandbox-warm-up").stop();
          }
        });
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> org.streamingSubscribers().getOrDefault("/data/ChangeEvents", 0) > 0);
  }

  /**
   * camel-salesforce keeps the last replay id per channel in a JVM-wide static map. Tests start
   * fresh orgs, so each one clears it to behave like a new connector process.
   */
  @SuppressWarnings("unchecked")
  static void clearCamelReplayIds() throws ReflectiveOperationException {
    Class<?> helper =
        Class.forName(
            "org.apache.camel.component.salesforce.internal.streaming.SubscriptionHelper");
    Field ext = helper.getDeclaredField("REPLAY_EXTENSION");
    ext.setAccessible(true);
    Object replay = ext.get(null);
    Field data = replay.getClass().getDeclaredField("dataMap");
    data.setAccessible(true);
    ((ConcurrentMap<String, Long>) data.get(replay)).clear();
  }

  String request(String uri, Object body, Map<String, Object> headers) {
    return template.requestBodyAndHeaders(uri, body, headers, String.class);
  }

  /** Calls the sandbox control API. */
  HttpResponse<String> control(String method, String path, String json) {
    return http.sendJson(method, org.baseUrl() + "/sandbox/" + path, json);
  }

  @Override
  public void close() throws Exception {
    try {
      camel.close();
    } finally {
      if (ownsOrg) {
        org.close();
      }
    }
  }
}
