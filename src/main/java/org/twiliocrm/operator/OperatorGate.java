package org.twiliocrm.operator;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.AuthenticationHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler on the connector's HTTP server: every request whose path {@link OperatorAccess}
 * does not leave open must carry HTTP Basic (a user's password) or a Bearer token (an API token) of
 * an operator whose role is high enough. 401 with {@code WWW-Authenticate} when the credentials are
 * missing or wrong, 403 when the role is too low, both as a short JSON body and one rate-limited
 * log line that never holds the credential. On success the operator is the request's Vert.x user,
 * which platform-http hands to the route as the header {@code
 * CamelVertxPlatformHttpAuthenticatedUser} (a client cannot set it: Camel filters Camel* headers
 * from requests, and this handler sets the user on every protected request).
 *
 * <p>It is installed through platform-http's authentication hook, so it is on the router before the
 * server accepts its first connection; there is no moment when the routes are reachable without it.
 */
public final class OperatorGate implements AuthenticationHandler {
  private static final Logger LOG = LoggerFactory.getLogger(OperatorGate.class);
  static final String REALM = "twilio-crm-connector";
  private static final String HEALTH_DETAIL = "twiliocrm.healthDetail";
  private static final List<String> CHALLENGES =
      List.of("Basic realm=\"" + REALM + "\", charset=\"UTF-8\"", "Bearer realm=\"" + REALM + "\"");

  private final Supplier<OperatorCredentials> credentials;
  private final OperatorSessions sessions;
  private final Bucket logBudget =
      Bucket.builder()
          .addLimit(
              Bandwidth.builder().capacity(30).refillGreedy(30, Duration.ofMinutes(1)).build())
          .build();
  private final AtomicLong suppressed = new AtomicLong();

  public OperatorGate(Supplier<OperatorCredentials> credentials) {
    this(credentials, null);
  }

  /** With {@code sessions}: the operator console's session cookie is accepted as well. */
  public OperatorGate(Supplier<OperatorCredentials> credentials, OperatorSessions sessions) {
    this.credentials = credentials;
    this.sessions = sessions;
  }

  private int managementPort;

  /** Splits the paths between the public port and this management port (0: one port for all). */
  OperatorGate managementPort(int port) {
    this.managementPort = port;
    return this;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String method = ctx.request().method().name();
    String path = ctx.normalizedPath();
    if (managementPort > 0) {
      io.vertx.core.net.SocketAddress local = ctx.request().localAddress();
      boolean onManagement = local != null && local.port() == managementPort;
      if (OperatorAccess.isManagement(path) != onManagement) {
        // The public port (behind the ingress) serves no health, metrics or info; the management
        // port serves nothing else.
        ctx.response()
            .setStatusCode(404)
            .putHeader("Content-Type", "application/json")
            .end("{\"error\":\"not-found\"}");
        return;
      }
    }
    Role need = OperatorAccess.required(method, path);
    String header = ctx.request().getHeader("Authorization");
    if (need == null && OperatorAccess.isHealth(path)) {
      // Health: status only for anonymous callers (the probes); detail (every check, its message
      // and error) for operators: a credential, or a detail parameter which then needs one.
      boolean asksDetail = OperatorAccess.asksHealthDetail(ctx.request().query());
      boolean credentials =
          (header != null && !header.isBlank())
              || (sessions != null && ctx.request().getCookie(OperatorSessions.COOKIE) != null);
      if (asksDetail || credentials) {
        need = Role.VIEWER;
        if (!asksDetail) {
          ctx.put(HEALTH_DETAIL, Boolean.TRUE);
        }
      }
    }
    final Role required = need;
    if (required == null) {
      ctx.next();
      return;
    }
    if ((header == null || header.isBlank()) && sessions != null) {
      io.vertx.core.http.Cookie cookie = ctx.request().getCookie(OperatorSessions.COOKIE);
      if (cookie != null) {
        bySession(ctx, method, path, required, cookie.getValue());
        return;
      }
    }
    if (header == null || header.isBlank()) {
      unauthorized(ctx, method, path, "credentials required", "no Authorization header");
      return;
    }
    OperatorCredentials creds = credentials.get();
    int space = header.indexOf(' ');
    String scheme = space < 0 ? header : header.substring(0, space);
    String value = space < 0 ? "" : header.substring(space + 1).trim();
    if (scheme.equalsIgnoreCase("Bearer")) {
      decide(ctx, method, path, required, creds.byToken(value), "token");
    } else if (scheme.equalsIgnoreCase("Basic")) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        unauthorized(ctx, method, path, "malformed Basic credentials", "Basic not base64");
        return;
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        unauthorized(ctx, method, path, "malformed Basic credentials", "Basic without ':'");
        return;
      }
      String name = decoded.substring(0, colon);
      String password = decoded.substring(colon + 1);
      String from = remoteHost(ctx);
      if (sessions != null) {
        // The console's sign-in limits, per user name and per client address: a script guessing
        // passwords over HTTP Basic is refused as soon as one sent through the console would be.
        Duration wait = sessions.reservePasswordTry(name, from);
        if (!wait.isZero()) {
          tooManyFailures(ctx, method, path, wait);
          return;
        }
      }
      // bcrypt takes tens of milliseconds by design: never on the event loop, which also serves
      // Twilio's webhooks. The request is paused so no body bytes arrive before the body handler.
      ctx.request().pause();
      ctx.vertx()
          .<Optional<Operator>>executeBlocking(() -> creds.byPassword(name, password), false)
          .onComplete(
              r -> {
                if (r.succeeded() && r.result().isPresent() && sessions != null) {
                  sessions.passwordMatched(name, from);
                }
                if (r.succeeded()) {
                  // A name is logged only when it is a configured one: people type passwords
                  // into the user field.
                  String who = creds.hasUser(name) ? "password for user '" + name + "'" : "user";
                  decide(ctx, method, path, required, r.result(), who);
                } else {
                  unauthorized(ctx, method, path, "invalid credentials", "password check failed");
                }
              });
    } else {
      // Not the scheme itself: a bare token sent without "Bearer " would land in the log.
      unauthorized(ctx, method, path, "use HTTP Basic or a Bearer token", "unsupported scheme");
    }
  }

  /**
   * A request from the console: the session cookie stands for the operator, and a request that
   * changes state must also carry the session's CSRF token in a header, which a cross-site page
   * cannot set. No Basic challenge in the refusal, so a browser shows no password dialog.
   */
  private void bySession(
      RoutingContext ctx, String method, String path, Role required, String sessionId) {
    Optional<OperatorSessions.Session> session = sessions.find(sessionId);
    if (session.isEmpty()) {
      log(401, method, path, "unknown or expired console session");
      reply(ctx, 401, "unauthenticated", "the console session has ended; sign in again");
      return;
    }
    boolean read = "GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method);
    if (!read
        && !session.get().csrfMatches(ctx.request().getHeader(OperatorSessions.CSRF_HEADER))) {
      log(403, method, path, "console session without its CSRF token");
      reply(
          ctx,
          403,
          "csrf",
          "a state change from a console session needs the session's "
              + OperatorSessions.CSRF_HEADER
              + " header");
      return;
    }
    decide(ctx, method, path, required, Optional.of(session.get().operator()), "session");
  }

  private void decide(
      RoutingContext ctx,
      String method,
      String path,
      Role required,
      Optional<Operator> who,
      String what) {
    if (who.isEmpty()) {
      unauthorized(ctx, method, path, "invalid credentials", "wrong " + what);
      return;
    }
    Operator op = who.get();
    if (!op.role().includes(required)) {
      log(403, method, path, op.name() + " is " + op.role().label());
      reply(
          ctx,
          403,
          "forbidden",
          "operator '"
              + op.name()
              + "' has role "
              + op.role().label()
              + "; "
              + method
              + " "
              + path
              + " needs "
              + required.label());
      return;
    }
    ctx.setUser(
        User.create(
            new JsonObject()
                .put("username", op.name())
                .put("role", op.role().label())
                .put("via", op.via())));
    if (Boolean.TRUE.equals(ctx.remove(HEALTH_DETAIL))) {
      // Camel's health endpoint answers a request's exposureLevel; an operator gets the detail.
      ctx.reroute(path + "?exposureLevel=full");
      return;
    }
    ctx.next();
  }

  /** The operator a route's exchange was authenticated as (from platform-http's user header). */
  public static Optional<Operator> operatorOf(Object authenticatedUserHeader) {
    if (authenticatedUserHeader instanceof User u && u.principal() != null) {
      JsonObject p = u.principal();
      Role role = Role.parse(p.getString("role"));
      String name = p.getString("username");
      if (role != null && name != null) {
        return Optional.of(new Operator(name, role, p.getString("via", "")));
      }
    }
    return Optional.empty();
  }

  /** 429 with Retry-After: this name or address has used up its wrong passwords for now. */
  private void tooManyFailures(RoutingContext ctx, String method, String path, Duration wait) {
    long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    log(429, method, path, "too many wrong passwords, retry in " + seconds + " s");
    ctx.response().headers().set("Retry-After", String.valueOf(seconds));
    reply(
        ctx,
        429,
        "too-many-attempts",
        "too many wrong passwords; try again in " + seconds + " seconds");
  }

  private static String remoteHost(RoutingContext ctx) {
    io.vertx.core.net.SocketAddress a = ctx.request().remoteAddress();
    return a == null ? "unknown" : a.hostAddress();
  }

  private void unauthorized(
      RoutingContext ctx, String method, String path, String message, String why) {
    log(401, method, path, why);
    ctx.response().headers().set("WWW-Authenticate", CHALLENGES);
    reply(ctx, 401, "unauthenticated", message);
  }

  private static void reply(RoutingContext ctx, int status, String error, String message) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(new JsonObject().put("error", error).put("message", message).encode());
  }

  private void log(int status, String method, String path, String why) {
    if (!logBudget.tryConsume(1)) {
      suppressed.incrementAndGet();
      return;
    }
    long skipped = suppressed.getAndSet(0);
    LOG.warn(
        "operator request refused: {} {} {} ({}){}",
        status,
        method,
        safe(path),
        why,
        skipped == 0 ? "" : " [" + skipped + " similar line(s) suppressed]");
  }

  /** At most 80 printable ASCII characters of client-supplied text, for a log line. */
  static String safe(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 80; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }
}
