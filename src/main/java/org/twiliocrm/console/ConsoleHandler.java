package org.twiliocrm.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.http.RequestPath;
import org.twiliocrm.operator.OperatorAuth;
import org.twiliocrm.operator.OperatorSessions;

/**
 * The operator console at {@code /console} (routes/operator-console.camel.yaml): its static pages
 * from the jar ({@code src/main/resources/console/}: plain HTML, CSS and JavaScript modules, no
 * build step), sign-in, the session's identity and sign-out. Everything the pages show comes from
 * {@code /api/*}, the API scripts use, with the session cookie standing for the operator.
 *
 * <pre>
 *   GET  /console, /console/            the page (index.html)
 *   GET  /console/{asset}               console.js, console.css, ...
 *   GET  /console/vendor/uplot/{file}   uPlot.esm.js, uPlot.min.css (the uPlot WebJar, MIT)
 *   GET  /console/session               who is signed in, with the session's CSRF token; 401 if none
 *   POST /console/session               sign in: {"name": "...", "password": "..."}
 *   POST /console/session/end           sign out (needs the CSRF token)
 * </pre>
 *
 * Sign-in needs {@code Content-Type: application/json}: a cross-site form cannot send that without
 * a CORS preflight, which this server never grants, so no other site can sign a browser in.
 */
public final class ConsoleHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ASSET = Pattern.compile("[a-z0-9][a-z0-9-]*\\.(js|css|svg)");
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "svg", "image/svg+xml");

  /**
   * Front-end libraries from WebJars on the classpath (no Node toolchain in the build), served
   * under /console/vendor/: a fixed list of files, so no request path ever reaches the class
   * loader's lookup.
   */
  private static final Map<String, String> VENDOR =
      Map.of(
          "vendor/uplot/uPlot.esm.js",
          "META-INF/resources/webjars/uplot/1.6.30/dist/uPlot.esm.js",
          "vendor/uplot/uPlot.min.css",
          "META-INF/resources/webjars/uplot/1.6.30/dist/uPlot.min.css");

  /**
   * Only this origin's scripts and styles, no inline script, no framing: a value that slipped past
   * the pages' escaping still could not run.
   */
  static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

  private final boolean secureCookie;
  private final Map<String, byte[]> assets = new ConcurrentHashMap<>();

  /** {@code publicUrl}: the connector's public URL; https means the cookie is Secure. */
  public ConsoleHandler(String publicUrl) {
    this.secureCookie = publicUrl != null && publicUrl.startsWith("https:");
  }

  /** The route's one step: answers the request on the exchange. */
  public void handle(Exchange exchange) {
    Message in = exchange.getMessage();
    String method = String.valueOf(in.getHeader(Exchange.HTTP_METHOD));
    String path = RequestPath.of(in);
    Answer a;
    try {
      a = answer(exchange, in, method, path);
    } catch (RuntimeException e) {
      LOG.error("console {} {} failed: {}", method, path, e.toString());
      a = Answer.json(500, error("internal-error", "the request failed; see the connector's log"));
    }
    in.getHeaders().clear();
    in.setHeader(Exchange.HTTP_RESPONSE_CODE, a.status);
    in.setHeader(Exchange.CONTENT_TYPE, a.type);
    in.setHeader("Cache-Control", a.cache);
    in.setHeader("Content-Security-Policy", CSP);
    in.setHeader("X-Content-Type-Options", "nosniff");
    in.setHeader("X-Frame-Options", "DENY");
    in.setHeader("Referrer-Policy", "no-referrer");
    a.headers.forEach(in::setHeader);
    in.setBody("HEAD".equals(method) ? new byte[0] : a.body);
  }

  private Answer answer(Exchange exchange, Message in, String method, String path) {
    if (path.equals("/console") || path.equals("/console/")) {
      if (!read(method)) {
        return notAllowed("GET");
      }
      return Answer.of(200, "html", "no-store", asset("index.html"));
    }
    if (path.equals("/console/session")) {
      OperatorAuth auth = auth(exchange);
      if (read(method)) {
        Optional<OperatorSessions.Session> s = auth.sessions().find(cookie(in));
        if (s.isEmpty()) {
          return Answer.json(401, error("unauthenticated", "not signed in"));
        }
        return Answer.json(200, identity(s.get(), exchange));
      }
      if (!"POST".equals(method)) {
        return notAllowed("GET, POST");
      }
      return signIn(auth, in, exchange);
    }
    if (path.equals("/console/session/end")) {
      if (!"POST".equals(method)) {
        return notAllowed("POST");
      }
      OperatorAuth auth = auth(exchange);
      Optional<OperatorSessions.Session> s = auth.sessions().find(cookie(in));
      if (s.isPresent()) {
        if (!s.get().csrfMatches(in.getHeader(OperatorSessions.CSRF_HEADER, String.class))) {
          return Answer.json(
              403, error("csrf", "sign-out needs the session's " + OperatorSessions.CSRF_HEADER));
        }
        auth.sessions().end(s.get().id());
        LOG.info("console: {} signed out", s.get().operator().name());
      }
      Answer a = Answer.json(200, Map.of("result", "signed out"));
      a.headers.put("Set-Cookie", cookieHeader("", 0));
      return a;
    }
    String name = path.startsWith("/console/") ? path.substring("/console/".length()) : "";
    if (ASSET.matcher(name).matches() || VENDOR.containsKey(name)) {
      byte[] body = asset(name);
      if (body != null) {
        if (!read(method)) {
          return notAllowed("GET");
        }
        return Answer.of(200, name.substring(name.lastIndexOf('.') + 1), "no-cache", body);
      }
    }
    return Answer.of(404, "html", "no-store", notFoundPage());
  }

  private Answer signIn(OperatorAuth auth, Message in, Exchange exchange) {
    String type = in.getHeader(Exchange.CONTENT_TYPE, String.class);
    if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      return Answer.json(415, error("unsupported-media-type", "sign in with a JSON body"));
    }
    JsonNode body;
    try {
      body = JSON.readTree(in.getBody(String.class));
    } catch (JsonProcessingException | IllegalArgumentException e) {
      body = null;
    }
    if (body == null
        || !body.isObject()
        || !body.path("name").isTextual()
        || !body.path("password").isTextual()) {
      return Answer.json(
          400, error("bad-request", "the body must be {\"name\": \"...\", \"password\": \"...\"}"));
    }
    String name = body.get("name").asText().trim();
    String from = remote(in);
    OperatorSessions.SignIn result =
        auth.sessions().signIn(auth.credentials(), name, body.get("password").asText(), from);
    if (result instanceof OperatorSessions.SignIn.Ok ok) {
      LOG.info(
          "console: {} signed in ({})",
          ok.session().operator().name(),
          ok.session().operator().role().label());
      Answer a = Answer.json(200, identity(ok.session(), exchange));
      a.headers.put("Set-Cookie", cookieHeader(ok.session().id(), -1));
      return a;
    }
    if (result instanceof OperatorSessions.SignIn.Limited limited) {
      long seconds = Math.max(1, (limited.retryAfter().toMillis() + 999) / 1000);
      LOG.warn("console: sign-in refused, too many failures (retry in {} s)", seconds);
      Answer a =
          Answer.json(
              429,
              error(
                  "too-many-attempts",
                  "too many failed sign-ins; try again in " + seconds + " seconds"));
      a.headers.put("Retry-After", String.valueOf(seconds));
      return a;
    }
    // Logged without the name: people type passwords into the user field.
    LOG.warn("console: sign-in failed");
    return Answer.json(401, error("unauthenticated", "wrong user name or password"));
  }

  /** Who is signed in, and whether the sandbox phone exists (sandbox mode). */
  private static Map<String, Object> identity(OperatorSessions.Session s, Exchange exchange) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", s.operator().name());
    m.put("role", s.operator().role().label());
    m.put("csrf", s.csrf());
    m.put(
        "sandbox",
        exchange
                .getContext()
                .getRegistry()
                .lookupByNameAndType(
                    org.twiliocrm.operator.SandboxPhone.BEAN,
                    org.twiliocrm.operator.SandboxPhone.class)
            != null);
    return m;
  }

  /** {@code maxAge} -1: a session cookie (gone with the browser); 0: delete it. */
  private String cookieHeader(String value, int maxAge) {
    return OperatorSessions.COOKIE
        + "="
        + value
        + "; Path=/; HttpOnly; SameSite=Strict"
        + (secureCookie ? "; Secure" : "")
        + (maxAge >= 0 ? "; Max-Age=" + maxAge : "");
  }

  private static OperatorAuth auth(Exchange exchange) {
    OperatorAuth auth =
        exchange.getContext().getRegistry().lookupByNameAndType("operatorAuth", OperatorAuth.class);
    if (auth == null) {
      throw new IllegalStateException(
          "no operatorAuth bean: the console needs the running connector");
    }
    return auth;
  }

  private static String cookie(Message in) {
    String header = in.getHeader("Cookie", String.class);
    if (header == null) {
      return null;
    }
    for (String part : header.split(";")) {
      String p = part.trim();
      if (p.startsWith(OperatorSessions.COOKIE + "=")) {
        return p.substring(OperatorSessions.COOKIE.length() + 1);
      }
    }
    return null;
  }

  private static String remote(Message in) {
    Object a = in.getHeader(VertxPlatformHttpConstants.REMOTE_ADDRESS);
    if (a instanceof io.vertx.core.net.SocketAddress sa) {
      return sa.hostAddress();
    }
    return "unknown";
  }

  private static boolean read(String method) {
    return "GET".equals(method) || "HEAD".equals(method);
  }

  private static Answer notAllowed(String allow) {
    Answer a = Answer.json(405, error("method-not-allowed", "use " + allow + " on this path"));
    a.headers.put("Allow", allow);
    return a;
  }

  private static Map<String, Object> error(String error, String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", error);
    m.put("message", message);
    return m;
  }

  private byte[] asset(String name) {
    byte[] cached = assets.get(name);
    if (cached != null) {
      return cached;
    }
    String resource = VENDOR.getOrDefault(name, "console/" + name);
    try (InputStream s = ConsoleHandler.class.getClassLoader().getResourceAsStream(resource)) {
      if (s == null) {
        return null;
      }
      byte[] b = s.readAllBytes();
      assets.put(name, b);
      return b;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] notFoundPage() {
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found -"
            + " operator console</title><link rel=\"stylesheet\" href=\"/console/console.css\">"
            + "</head><body><main><h1>404: no such page</h1><p><a href=\"/console/\">Back to the"
            + " console</a></p></main></body></html>")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** A response: status, content type, caching, extra headers and body. */
  private static final class Answer {
    final int status;
    final String type;
    final String cache;
    final byte[] body;
    final Map<String, String> headers = new LinkedHashMap<>();

    private Answer(int status, String type, String cache, byte[] body) {
      this.status = status;
      this.type = type;
      this.cache = cache;
      this.body = body;
    }

    static Answer of(int status, String ext, String cache, byte[] body) {
      return new Answer(status, TYPES.get(ext), cache, body);
    }

    static Answer json(int status, Object body) {
      try {
        return new Answer(status, "application/json", "no-store", JSON.writeValueAsBytes(body));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
