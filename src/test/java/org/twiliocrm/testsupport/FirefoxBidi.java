package org.twiliocrm.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A minimal WebDriver BiDi client for Debian's headless Firefox ESR, which speaks BiDi itself (no
 * geckodriver): starts {@code firefox-esr --headless --remote-debugging-port=0} on a fresh profile
 * with its network services off, reads the port it prints, and talks JSON over the JDK's WebSocket.
 * Only what the console's browser test needs: navigate, evaluate, and the page's JavaScript errors
 * (log.entryAdded).
 */
public final class FirefoxBidi implements AutoCloseable {
  public static final Path FIREFOX = Path.of("/usr/bin/firefox-esr");
  private static final Pattern LISTENING =
      Pattern.compile("WebDriver BiDi listening on (ws://[^\\s]+)");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  /** Prefs of the fresh profile: BiDi only, and no updates, telemetry or other calls home. */
  private static final String USER_JS =
      """
      user_pref("remote.active-protocols", 1);
      user_pref("app.update.enabled", false);
      user_pref("app.update.auto", false);
      user_pref("app.normandy.enabled", false);
      user_pref("browser.shell.checkDefaultBrowser", false);
      user_pref("browser.startup.page", 0);
      user_pref("browser.startup.homepage_override.mstone", "ignore");
      user_pref("startup.homepage_welcome_url", "about:blank");
      user_pref("browser.newtabpage.enabled", false);
      user_pref("browser.safebrowsing.malware.enabled", false);
      user_pref("browser.safebrowsing.phishing.enabled", false);
      user_pref("browser.safebrowsing.downloads.enabled", false);
      user_pref("browser.region.network.url", "");
      user_pref("datareporting.policy.dataSubmissionEnabled", false);
      user_pref("datareporting.healthreport.uploadEnabled", false);
      user_pref("toolkit.telemetry.enabled", false);
      user_pref("toolkit.telemetry.unified", false);
      user_pref("extensions.update.enabled", false);
      user_pref("network.captive-portal-service.enabled", false);
      user_pref("network.connectivity-service.enabled", false);
      """;

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final List<String> jsErrors = new CopyOnWriteArrayList<>();
  private final String context;

  private FirefoxBidi(Process process, Path profile, WebSocket.Builder builder, URI uri)
      throws Exception {
    this.process = process;
    this.profile = profile;
    this.socket = builder.buildAsync(uri, new Listener()).get(30, TimeUnit.SECONDS);
    send("session.new", JSON.createObjectNode().set("capabilities", JSON.createObjectNode()));
    ObjectNode subscribe = JSON.createObjectNode();
    subscribe.putArray("events").add("log.entryAdded");
    send("session.subscribe", subscribe);
    JsonNode tree = send("browsingContext.getTree", JSON.createObjectNode());
    this.context = tree.path("contexts").path(0).path("context").asText();
  }

  /**
   * Starts Firefox; its output goes to {@code log}. Fails if it does not announce its BiDi endpoint
   * within a minute.
   */
  public static FirefoxBidi start(Path log) throws Exception {
    Path profile = Files.createTempDirectory("firefox-profile");
    Files.writeString(profile.resolve("user.js"), USER_JS, StandardCharsets.UTF_8);
    Files.createDirectories(log.toAbsolutePath().getParent());
    ProcessBuilder pb =
        new ProcessBuilder(
                FIREFOX.toString(),
                "--headless",
                "--remote-debugging-port=0",
                "--no-remote",
                "--profile",
                profile.toString())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("MOZ_HEADLESS", "1");
    Process process = pb.start();
    CompletableFuture<String> endpoint = new CompletableFuture<>();
    Thread drain =
        new Thread(
            () -> {
              try (BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
                  PrintWriter out =
                      new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
                String line;
                while ((line = in.readLine()) != null) {
                  out.println(line);
                  Matcher m = LISTENING.matcher(line);
                  if (m.find()) {
                    endpoint.complete(m.group(1));
                  }
                }
              } catch (IOException e) {
                endpoint.completeExceptionally(e);
              }
              endpoint.completeExceptionally(
                  new IllegalStateException("Firefox exited without a BiDi endpoint, see " + log));
            },
            "firefox-stderr");
    drain.setDaemon(true);
    drain.start();
    String ws;
    try {
      ws = endpoint.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      process.destroyForcibly();
      deleteTree(profile);
      throw e;
    }
    HttpClient http = HttpClient.newHttpClient();
    try {
      return new FirefoxBidi(
          process,
          profile,
          http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)),
          URI.create(ws + "/session"));
    } catch (Exception e) {
      process.destroyForcibly();
      deleteTree(profile);
      throw e;
    }
  }

  /** Sends one command and returns its result; a BiDi error becomes an IllegalStateException. */
  public JsonNode send(String method, JsonNode params) throws Exception {
    long id = ids.incrementAndGet();
    ObjectNode command = JSON.createObjectNode();
    command.put("id", id).put("method", method).set("params", params);
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    pending.put(id, answer);
    synchronized (socket) {
      socket.sendText(JSON.writeValueAsString(command), true).get(10, TimeUnit.SECONDS);
    }
    JsonNode response;
    try {
      response = answer.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      pending.remove(id);
    }
    if (!"success".equals(response.path("type").asText())) {
      throw new IllegalStateException(
          method + " failed: " + response.path("error").asText() + " " + response.path("message"));
    }
    return response.path("result");
  }

  /** Navigates the tab and waits for the load event of the new document. */
  public void navigate(String url) throws Exception {
    ObjectNode params = JSON.createObjectNode();
    params.put("context", context).put("url", url).put("wait", "complete");
    send("browsingContext.navigate", params);
  }

  /**
   * Runs a script in a page realm and awaits it, via the page's own globals. Returns the value of a
   * primitive result (string, number, boolean; null for null/undefined); anything else comes back
   * as its BiDi type name. A thrown exception becomes an IllegalStateException.
   */
  public Object evaluate(String expression) throws Exception {
    ObjectNode params = JSON.createObjectNode();
    params.put("expression", expression).put("awaitPromise", true);
    params.putObject("target").put("context", context);
    JsonNode result = send("script.evaluate", params);
    if ("exception".equals(result.path("type").asText())) {
      throw new IllegalStateException(
          "script threw: " + result.path("exceptionDetails").path("text").asText());
    }
    JsonNode value = result.path("result");
    return switch (value.path("type").asText()) {
      case "string" -> value.path("value").asText();
      case "boolean" -> value.path("value").asBoolean();
      case "number" -> value.path("value").isNumber() ? value.path("value").numberValue() : null;
      case "null", "undefined" -> null;
      default -> value.path("type").asText();
    };
  }

  /** Installs a function declaration to run in each new document before its own scripts. */
  public void addPreloadScript(String functionDeclaration) throws Exception {
    ObjectNode params = JSON.createObjectNode();
    params.put("functionDeclaration", functionDeclaration);
    send("script.addPreloadScript", params);
  }

  /** The JavaScript errors and console.error entries the pages logged so far. */
  public List<String> jsErrors() {
    return List.copyOf(jsErrors);
  }

  @Override
  public void close() {
    try {
      send("session.end", JSON.createObjectNode());
    } catch (Exception e) {
      // Firefox is stopped below either way.
    }
    socket.abort();
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deleteTree(profile);
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp dir left behind
    }
  }

  private void onMessage(String text) {
    JsonNode message;
    try {
      message = JSON.readTree(text);
    } catch (IOException e) {
      return;
    }
    if (message.has("id") && !message.path("id").isNull()) {
      CompletableFuture<JsonNode> answer = pending.get(message.path("id").asLong());
      if (answer != null) {
        answer.complete(message);
      }
    } else if ("log.entryAdded".equals(message.path("method").asText())) {
      JsonNode entry = message.path("params");
      String type = entry.path("type").asText();
      if ("javascript".equals(type) || "error".equals(entry.path("level").asText())) {
        jsErrors.add(type + ": " + entry.path("text").asText());
      }
    }
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        onMessage(text);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      pending.values().forEach(f -> f.completeExceptionally(error));
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      pending
          .values()
          .forEach(f -> f.completeExceptionally(new IllegalStateException("BiDi socket closed")));
      return null;
    }
  }
}
