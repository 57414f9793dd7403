package org.twiliocrm.sandbox;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.ConfigSource;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;
import org.twiliocrm.sandbox.twilio.TwilioSandbox;
import org.twiliocrm.sandbox.twilio.TwilioSandboxSettings;

/**
 * {@code java -jar twilio-crm-connector.jar sandbox}: the two emulators alone, with their control
 * APIs, for teams testing their own applications (no connector, no database). Options override the
 * {@code sandbox.*} settings; see docs/sandbox.md.
 */
public final class SandboxMain {
  private static final Logger LOG = LoggerFactory.getLogger(SandboxMain.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String TWILIO_STATE = "twilio-state.json";
  static final String SALESFORCE_STATE = "salesforce-records.json";

  private SandboxMain() {}

  /** Parsed command line. */
  record Options(
      String host, Integer twilioPort, Integer salesforcePort, Path seed, Path stateDir) {

    static Options parse(String[] args) {
      String host = null;
      Integer tp = null;
      Integer sp = null;
      Path seed = null;
      Path state = null;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        String v = i + 1 < args.length ? args[i + 1] : null;
        switch (a) {
          case "--host" -> host = need(a, v);
          case "--twilio-port" -> tp = port(a, need(a, v));
          case "--salesforce-port" -> sp = port(a, need(a, v));
          case "--seed" -> seed = Path.of(need(a, v));
          case "--state-dir" -> state = Path.of(need(a, v));
          default -> throw new IllegalArgumentException("unknown option '" + a + "'");
        }
        i++;
      }
      if (seed != null && !Files.isRegularFile(seed)) {
        throw new IllegalArgumentException("--seed: no such file " + seed);
      }
      return new Options(host, tp, sp, seed, state);
    }

    private static String need(String option, String value) {
      if (value == null || value.startsWith("--")) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return value;
    }

    private static int port(String option, String value) {
      try {
        int p = Integer.parseInt(value);
        if (p >= 0 && p <= 65535) {
          return p;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw new IllegalArgumentException(option + " must be a port 0..65535, got '" + value + "'");
    }
  }

  /** The running pair, with the state directory writer. */
  public static final class Running implements AutoCloseable {
    public final TwilioSandbox twilio;
    public final SalesforceSandbox salesforce;
    private final Path stateDir;
    private final ScheduledExecutorService saver;
    private byte[] lastTwilio = new byte[0];
    private byte[] lastSalesforce = new byte[0];

    Running(TwilioSandbox twilio, SalesforceSandbox salesforce, Path stateDir) {
      this.twilio = twilio;
      this.salesforce = salesforce;
      this.stateDir = stateDir;
      if (stateDir != null) {
        saver =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "sandbox-state");
                  t.setDaemon(true);
                  return t;
                });
        // Once a second: a crash loses at most the last second, a clean stop nothing.
        saver.scheduleWithFixedDelay(this::saveQuietly, 1, 1, TimeUnit.SECONDS);
      } else {
        saver = null;
      }
    }

    private void saveQuietly() {
      try {
        save();
      } catch (RuntimeException | IOException e) {
        LOG.warn("Sandbox state could not be saved to {}: {}", stateDir, e.toString());
      }
    }

    synchronized void save() throws IOException {
      byte[] t = twilio.saveState();
      if (!Arrays.equals(t, lastTwilio)) {
        write(stateDir.resolve(TWILIO_STATE), t);
        lastTwilio = t;
      }
      byte[] s = JSON.writeValueAsBytes(salesforce.allRecords());
      if (!Arrays.equals(s, lastSalesforce)) {
        write(stateDir.resolve(SALESFORCE_STATE), s);
        lastSalesforce = s;
      }
    }

    private static void write(Path file, byte[] bytes) throws IOException {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.write(tmp, bytes);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void close() {
      if (saver != null) {
        saver.shutdownNow();
        saveQuietly();
      }
      twilio.close();
      salesforce.close();
    }
  }

  /** Starts both emulators as the options and settings say. */
  public static Running start(Options o, Function<String, String> config) throws IOException {
    Map<String, String> overrides = new HashMap<>();
    if (o.host() != null) {
      overrides.put(TwilioSandboxSettings.HOST.name(), o.host());
      overrides.put(SalesforceSandboxSettings.HOST.name(), o.host());
    }
    if (o.twilioPort() != null) {
      overrides.put(TwilioSandboxSettings.PORT.name(), o.twilioPort().toString());
    }
    if (o.salesforcePort() != null) {
      overrides.put(SalesforceSandboxSettings.PORT.name(), o.salesforcePort().toString());
    }
    Path dataDir;
    if (o.stateDir() != null) {
      Files.createDirectories(o.stateDir());
      dataDir = Files.createDirectories(o.stateDir().resolve("salesforce"));
    } else {
      dataDir = Files.createTempDirectory("twilio-crm-sandbox");
      dataDir.toFile().deleteOnExit();
    }
    overrides.put(SalesforceSandboxSettings.DATA_DIR.name(), dataDir.toString());
    Function<String, String> lookup =
        k -> overrides.containsKey(k) ? overrides.get(k) : config.apply(k);
    TwilioSandboxSettings ts = TwilioSandboxSettings.from(lookup);
    SalesforceSandboxSettings ss = SalesforceSandboxSettings.from(lookup);
    SalesforceSandbox salesforce = SalesforceSandbox.start(ss);
    TwilioSandbox twilio;
    try {
      twilio = TwilioSandbox.start(ts);
    } catch (RuntimeException e) {
      salesforce.close();
      throw e;
    }
    Running running = new Running(twilio, salesforce, o.stateDir());
    try {
      if (o.seed() != null) {
        Map<String, List<Map<String, Object>>> seed = readSeed(o.seed());
        int n = salesforce.seedRecords(seed);
        LOG.info("Seeded {} record(s) from {}", n, o.seed());
      }
      if (o.stateDir() != null) {
        Path sf = o.stateDir().resolve(SALESFORCE_STATE);
        if (Files.isRegularFile(sf)) {
          int n =
              salesforce.restoreRecords(
                  JSON.readValue(Files.readAllBytes(sf), new TypeReference<>() {}));
          LOG.info("Restored {} Salesforce record(s) from {}", n, sf);
        }
        Path tw = o.stateDir().resolve(TWILIO_STATE);
        if (Files.isRegularFile(tw)) {
          LOG.info(
              "Restored {} Twilio message(s) from {}",
              twilio.restoreState(Files.readAllBytes(tw)),
              tw);
        }
      }
    } catch (RuntimeException | IOException e) {
      running.close();
      throw e;
    }
    return running;
  }

  /**
   * A seed file: {@code {"records": {"Contact": [{...}], ...}}} (the shape of the bundled seed's
   * records section) or just the inner map.
   */
  @SuppressWarnings("unchecked")
  static Map<String, List<Map<String, Object>>> readSeed(Path file) throws IOException {
    Map<String, Object> raw;
    try {
      raw = JSON.readValue(Files.readAllBytes(file), new TypeReference<>() {});
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "--seed " + file + " is not a JSON object: " + e.getMessage());
    }
    Object records = raw.containsKey("records") ? raw.get("records") : raw;
    if (!(records instanceof Map<?, ?> m)
        || !m.values().stream().allMatch(v -> v instanceof List)) {
      throw new IllegalArgumentException(
          "--seed " + file + ": expected {\"records\": {\"Contact\": [ {...} ], ...}}");
    }
    return (Map<String, List<Map<String, Object>>>) records;
  }

  /** Entry point from ConnectorMain; returns the exit code on failure, blocks while running. */
  public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("sandbox: " + e.getMessage());
      err.println(
          "Usage: java -jar twilio-crm-connector.jar sandbox [--host H] [--twilio-port N]"
              + " [--salesforce-port N] [--seed FILE] [--state-dir DIR]");
      return 2;
    }
    ConfigSource cfg = ConfigSource.load();
    Running r;
    try {
      r = start(o, cfg::get);
    } catch (IllegalArgumentException | IllegalStateException e) {
      err.println("sandbox did not start: " + e.getMessage());
      return 3;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(r::close, "sandbox-stop"));
    SalesforceSandboxSettings ss = r.salesforce.settings();
    out.println("Twilio sandbox:     " + r.twilio.baseUrl());
    out.println(
        "  account "
            + r.twilio.accountSid()
            + " / auth token from sandbox.twilio.accounts, control API "
            + r.twilio.baseUrl()
            + "/sandbox/");
    out.println("Salesforce sandbox: " + r.salesforce.baseUrl());
    out.println(
        "  login URL "
            + r.salesforce.baseUrl()
            + ", username "
            + ss.username()
            + ", client id "
            + ss.clientId()
            + ", control API "
            + r.salesforce.baseUrl()
            + "/sandbox/");
    out.println(
        o.stateDir() == null
            ? "State: memory only (use --state-dir DIR to keep it)"
            : "State: " + o.stateDir().toAbsolutePath());
    out.println("Sandbox ready. Ctrl-C stops it.");
    out.flush();
    Thread.currentThread().join();
    return 0;
  }
}
