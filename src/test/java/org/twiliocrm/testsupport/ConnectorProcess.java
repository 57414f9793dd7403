package org.twiliocrm.testsupport;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged connector jar running as a child JVM, as an operator would run it. Output goes to a
 * file so a test can read the banner and logs; {@link #kill()} is a real SIGKILL.
 */
public final class ConnectorProcess implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private final Process process;
  private final Path log;
  private final int port;

  private ConnectorProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** The shaded jar built by `mvn package`; failsafe passes its path. */
  public static Path jar() {
    String p = System.getProperty("connector.jar", "target/twilio-crm-connector.jar");
    Path jar = Path.of(p);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "packaged jar not found at " + jar + ": run mvn package first");
    }
    return jar.toAbsolutePath();
  }

  /** Starts `java -jar connector.jar args...` in workDir with the extra environment. */
  public static ConnectorProcess start(
      Path workDir, Map<String, String> env, int port, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.add("-jar");
    cmd.add(jar().toString());
    cmd.addAll(List.of(args));
    Files.createDirectories(workDir);
    Path log = workDir.resolve("connector-" + System.nanoTime() + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    Map<String, String> e = new HashMap<>(env);
    e.putIfAbsent("CONNECTOR_HTTP_PORT", String.valueOf(port));
    // Operator endpoints (metrics, /) need credentials: the test operators, unless the test
    // chooses in the environment (get() sends the viewer token).
    e.putIfAbsent("CONNECTOR_OPERATOR_CREDENTIALS", TestOperators.file().toString());
    // The emulators' default ports (8089, 8091) may be taken by another run on the machine: any
    // free port, unless the test chooses (in the environment or in its own config file, which
    // the environment would override).
    if (!e.containsKey("CONNECTOR_CONFIG_FILE")) {
      e.putIfAbsent("SANDBOX_TWILIO_PORT", "0");
      e.putIfAbsent("SANDBOX_SALESFORCE_PORT", "0");
    }
    pb.environment().putAll(e);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    return new ConnectorProcess(pb.start(), log, port);
  }

  public int port() {
    return port;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  public String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * Slowest start-up seen on a loaded CI machine: at a load average of 40-50 on 2 cores a jar took
   * more than 90 s to become ready. Start-up speed is measured by bench/startup, not here, so a
   * readiness wait is never shorter than this.
   */
  private static final Duration MIN_READY_WAIT = Duration.ofMinutes(4);

  /** Waits until /observe/health/ready answers 200, failing fast if the process died. */
  public ConnectorProcess awaitReady(Duration timeout) {
    try {
      awaitReadyOrFail(timeout.compareTo(MIN_READY_WAIT) < 0 ? MIN_READY_WAIT : timeout);
    } catch (org.awaitility.core.TerminalFailureException
        | org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "; connector output:\n" + output(), e);
    }
    return this;
  }

  private void awaitReadyOrFail(Duration timeout) {
    await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptionsInstanceOf(IOException.class)
        .failFast("connector exited early", () -> !process.isAlive())
        .until(() -> get("/observe/health/ready").statusCode() == 200);
  }

  /** GET as the test viewer (open endpoints ignore the credential). */
  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(baseUrl() + path))
            .timeout(Duration.ofSeconds(5))
            .header("Authorization", TestOperators.bearer(TestOperators.VIEWER_TOKEN))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Waits for the process to exit on its own and returns its exit code. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("connector did not exit within " + timeout + ":\n" + output());
    }
    return process.exitValue();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook runs, in-flight work is cut. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM: the graceful shutdown Kubernetes sends. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }
}
