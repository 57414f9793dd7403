package org.twiliocrm.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.camel.CamelContext;
import org.twiliocrm.app.ConnectorApp;
import org.twiliocrm.app.TestSandboxes;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;

/**
 * The one way tests start the connector (in the spirit of Camel's test-infra services): the real
 * {@link ConnectorApp}, the same wiring the jar runs, with the shipped {@code routes/} and {@code
 * kamelets/}, in sandbox mode on a test database, on a free port. What tests vary goes through the
 * {@link Builder}: the database, any configuration key, whether the Salesforce emulator is the
 * connector's own or a shared one that outlives it (restart and failover tests), and the Twilio
 * emulator's settings (faults, outcome rules, ...). {@link #main} runs the same thing as a child
 * JVM (several processes on one database, SIGKILL).
 *
 * <p>A test that needs the packaged jar itself uses {@link ConnectorProcess}.
 */
public final class TestConnector implements AutoCloseable {
  private final ConnectorApp app;
  private final int port;

  private TestConnector(ConnectorApp app, int port) {
    this.app = app;
    this.port = port;
  }

  /** A connector on this test database. */
  public static Builder on(TestDatabase database) {
    return new Builder(database.url(), database.user());
  }

  /** A connector on the database at this JDBC URL (a child JVM, given only the URL). */
  public static Builder on(String jdbcUrl, String user) {
    return new Builder(jdbcUrl, user);
  }

  /** What a test varies; everything else is as shipped (application.properties). */
  public static final class Builder {
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final Map<String, Object> beans = new LinkedHashMap<>();
    private int port;

    private Builder(String jdbcUrl, String user) {
      properties.put("connector.mode", "sandbox");
      properties.put("connector.http.host", "127.0.0.1");
      properties.put("connector.db.url", jdbcUrl);
      if (user != null) {
        properties.put("connector.db.user", user);
      }
      properties.put("connector.db.pool-size", "20");
      properties.put("connector.routes.location", Path.of("routes").toAbsolutePath().toString());
      properties.put(
          "connector.kamelets.location", Path.of("kamelets").toAbsolutePath().toString());
      // Operator endpoints (metrics, /api) need credentials: the test operators.
      properties.put("connector.operator.credentials", TestOperators.file().toString());
      // The emulators on free ports (another run on the machine may hold the defaults), the
      // Salesforce one with its data in a directory of its own.
      properties.put("sandbox.twilio.port", "0");
      properties.put("sandbox.salesforce.port", "0");
      // Fast message lifecycles and no 1 s OpenAPI load; a test about request validation turns
      // it back on.
      properties.put("sandbox.twilio.event-loops", "2");
      properties.put("sandbox.twilio.lifecycle.step-millis", "20");
      properties.put("sandbox.twilio.validation.requests", "false");
      // The test machine is shared and often overloaded: give callbacks time rather than failing.
      properties.put("sandbox.twilio.callback.timeout-millis", "30000");
    }

    /** Any configuration key, over the shipped default. */
    public Builder property(String key, String value) {
      properties.put(key, value);
      return this;
    }

    public Builder properties(Map<String, String> values) {
      properties.putAll(values);
      return this;
    }

    /**
     * The Salesforce emulator at {@code url} instead of one the connector starts: an org that keeps
     * its events and records across connector restarts, or that two processes share.
     */
    public Builder salesforce(String url) {
      return property("sandbox.salesforce.external-url", url);
    }

    /**
     * The Twilio emulator at {@code url} instead of one the connector starts: one the test owns,
     * that outlives connector restarts and kills, or that several connectors share. It must accept
     * the connector's {@code sandbox.twilio.accounts} (by default both use the same).
     */
    public Builder sharedTwilio(String url) {
      return property("sandbox.twilio.external-url", url);
    }

    /** A Twilio emulator setting ({@code sandbox.twilio.<key>}): faults, outcome rules, ... */
    public Builder twilio(String key, String value) {
      return property("sandbox.twilio." + key, value);
    }

    /** The HTTP port (default: a free one). */
    public Builder port(int value) {
      this.port = value;
      return this;
    }

    /** A bean over the connector's own of that name (see {@link ConnectorApp#bind}). */
    public Builder bind(String name, Object bean) {
      beans.put(name, bean);
      return this;
    }

    public TestConnector start() throws Exception {
      int p = port != 0 ? port : FreePort.find();
      Properties props = new Properties();
      props.setProperty("connector.http.port", String.valueOf(p));
      props.setProperty("connector.public-url", "http://127.0.0.1:" + p);
      if (!properties.containsKey("sandbox.salesforce.data-dir")) {
        props.setProperty("sandbox.salesforce.data-dir", tempDir("sf-sandbox").toString());
      }
      properties.forEach(props::setProperty);
      ConnectorApp app = new ConnectorApp(ConfigSource.load(Map.of(), props));
      beans.forEach(app::bind);
      try {
        app.start();
      } catch (Exception | Error e) {
        app.stop();
        throw e;
      }
      return new TestConnector(app, p);
    }
  }

  private static Path tempDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public ConnectorApp app() {
    return app;
  }

  public CamelContext context() {
    return app.camelContext();
  }

  /** A bean the connector bound, by name and type; null when there is none. */
  public <T> T bean(String name, Class<T> type) {
    return context().getRegistry().lookupByNameAndType(name, type);
  }

  /** A configuration value as the running connector sees it. */
  public String property(String key) {
    return app.property(key);
  }

  public int port() {
    return port;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** The Twilio emulator the connector started (null when it uses a shared one). */
  public TwilioSandbox twilio() {
    return TestSandboxes.twilio(app);
  }

  /** The Salesforce emulator the connector started (null when it uses a shared one). */
  public SalesforceSandbox salesforce() {
    return TestSandboxes.salesforce(app);
  }

  /** Stopping the connector also stops the emulators it started. */
  @Override
  public void close() {
    app.stop();
  }

  /**
   * The command that runs {@link #main} in a child JVM on this test's class path, with {@code
   * settings} as {@code key=value} arguments.
   */
  public static java.util.List<String> childCommand(
      String jdbcUrl, String user, String maxHeap, java.util.List<String> settings) {
    java.util.List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + maxHeap);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(TestConnector.class.getName());
    cmd.add(jdbcUrl);
    cmd.add(user == null ? "" : user);
    cmd.addAll(settings);
    return cmd;
  }

  /**
   * Child-JVM entry: {@code TestConnector <jdbc-url> <user> [key=value...]}. Prints {@code
   * CONNECTOR-STARTED <pid>} once started and runs until killed.
   */
  public static void main(String[] args) throws Exception {
    TestConnector connector =
        on(args[0], args[1]).properties(TestSettings.keyValues(args, 2)).start();
    Runtime.getRuntime().addShutdownHook(new Thread(connector::close));
    System.out.println("CONNECTOR-STARTED " + ProcessHandle.current().pid());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
