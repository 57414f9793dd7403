package org.twiliocrm.webhook;

import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.RoutingContextInternal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.twiliocrm.http.Forms;

/**
 * Answers the requests the HTTP server refuses before any route runs: a body over the limit (413,
 * refused from Content-Length before it is buffered, or mid-body when chunked), broken
 * percent-encoding (400), and an unhandled failure (500). Without this, Vert.x logs each one as
 * "Unhandled exception in router" with a 50-line stack trace, and the webhook metrics never see it.
 * Each is counted in {@code twiliocrm_webhook_rejected_total} (on a webhook path), logged as one
 * rate-limited line, and answered with a short plain-text reason and no echoed headers.
 *
 * <p>It also reads a webhook's form body itself ({@link #readForm}), in place of Vert.x's body
 * handler and its Netty form decoder.
 */
public final class WebhookEdge implements Handler<RoutingContext> {
  static final String WEBHOOK_PREFIX = "/webhooks/twilio/";

  /** Path segment -> endpoint kind, as the routes name them in the metrics. */
  private static final Map<String, String> KINDS =
      Map.of(
          "message-status", "message-status",
          "inbound", "inbound",
          "call-status", "call-status",
          "twiml", "twiml");

  private final WebhookMetrics metrics;
  private final RejectionLog log;
  private volatile boolean draining;
  private final AtomicInteger paused = new AtomicInteger();

  private final int maxBodyBytes;
  private final FormHandoff forms;

  public WebhookEdge(WebhookMetrics metrics, RejectionLog log, int maxBodyBytes) {
    this(metrics, log, maxBodyBytes, new FormHandoff());
  }

  public WebhookEdge(
      WebhookMetrics metrics, RejectionLog log, int maxBodyBytes, FormHandoff forms) {
    this.metrics = metrics;
    this.log = log;
    this.maxBodyBytes = maxBodyBytes;
    this.forms = forms;
  }

  /**
   * The connector is shutting down: from now on every webhook is answered 503 (with Retry-After)
   * before any route sees it. Stopping routes would otherwise answer 404 (route gone) or 500
   * (consumer stopped) until the server closes; Twilio retries a 503 (connection overrides, see
   * webhook.connection-overrides) and the other replicas take it, a 404 it drops.
   */
  public void drain() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }

  /**
   * A webhook route is being rebuilt (dev-mode reload of the kamelet it is made from): until the
   * returned handle is closed, a webhook is answered 503 with Retry-After: 1 before any route sees
   * it, instead of the 404 a removed route gives or the bare 503 of a suspended one. Requests
   * already inside a route finish first (the reload waits for them). Nested pauses are counted.
   */
  public AutoCloseable pause() {
    paused.incrementAndGet();
    java.util.concurrent.atomic.AtomicBoolean closed =
        new java.util.concurrent.atomic.AtomicBoolean();
    return () -> {
      if (closed.compareAndSet(false, true)) {
        paused.decrementAndGet();
      }
    };
  }

  private volatile boolean installed;

  /**
   * Installs the handler on the platform-http router(s) of the context, once the HTTP server has
   * made its router: the connector calls it as the routes start, before any route's consumer joins
   * the router (else a request in between met Vert.x's body handler, and an oversized form logged
   * "Unhandled exception in router" with a stack trace). Returns whether it is installed; a later
   * call does nothing.
   */
  public synchronized boolean install(CamelContext context) {
    java.util.Set<VertxPlatformHttpRouter> routers =
        context.getRegistry().findByType(VertxPlatformHttpRouter.class);
    if (installed) {
      registerMain(routers);
      return true;
    }
    if (routers.isEmpty()) {
      return false;
    }
    metrics.bind(context);
    metrics.watch(forms);
    installed = true;
    for (VertxPlatformHttpRouter router : routers) {
      register(router);
      // Camel 4.17's body handler never turns Vert.x's file uploads off (camel.server.
      // fileUploadEnabled=false only skips choosing a directory; BodyHandler.create() defaults to
      // handling uploads into ./file-uploads), so a multipart post would be streamed to disk
      // before any route saw it. Twilio never posts multipart: refuse it here, first, on the
      // webhook paths, before the body is read.
      router
          .route(WEBHOOK_PREFIX + "*")
          .order(Integer.MIN_VALUE)
          .handler(
              ctx -> {
                String type = ctx.request().getHeader("Content-Type");
                if (draining) {
                  String kind = kindOf(ctx.request().path());
                  if (kind != null) {
                    metrics.rejected(kind, "draining");
                  }
                  ctx.response()
                      .setStatusCode(503)
                      .putHeader("Retry-After", "5")
                      .putHeader("Connection", "close")
                      .putHeader("Content-Type", "text/plain; charset=utf-8")
                      .end("draining\n");
                } else if (paused.get() > 0) {
                  String kind = kindOf(ctx.request().path());
                  if (kind != null) {
                    metrics.rejected(kind, "reloading");
                  }
                  ctx.response()
                      .setStatusCode(503)
                      .putHeader("Retry-After", "1")
                      .putHeader("Content-Type", "text/plain; charset=utf-8")
                      .end("reloading\n");
                } else if (type != null
                    && type.regionMatches(true, 0, "multipart/", 0, "multipart/".length())) {
                  ctx.fail(415);
                } else {
                  // A request that gets here just before a pause begins can meet its route
                  // suspended for the rebuild, which answers a bare 503: give it Retry-After too.
                  ctx.addHeadersEndHandler(
                      v -> {
                        HttpServerResponse r = ctx.response();
                        if (r.getStatusCode() == 503 && !r.headers().contains("Retry-After")) {
                          r.putHeader("Retry-After", "1");
                        }
                      });
                  if (type != null
                      && type.regionMatches(true, 0, FORM, 0, FORM.length())
                      && ctx.request().method() == HttpMethod.POST) {
                    readForm(ctx);
                  } else {
                    ctx.next();
                  }
                }
              });
    }
    registerMain(routers);
    return true;
  }

  private boolean mainRegistered;

  /**
   * The platform router is mounted under the server's main router, which is the one whose error
   * handlers Vert.x consults for failures that bubble out of the sub-router. Registered once the
   * server has set it as its request handler.
   */
  private void registerMain(java.util.Set<VertxPlatformHttpRouter> routers) {
    for (VertxPlatformHttpRouter router : routers) {
      if (!mainRegistered
          && router.getServer() != null
          && router.getServer().getServer() != null
          && router.getServer().getServer().requestHandler() instanceof Router main) {
        register(main);
        mainRegistered = true;
      }
    }
  }

  /**
   * Whether {@link #install} has put the edge on the HTTP server's router, and its refusals on the
   * server's main router (the one Vert.x consults for failures that leave the platform router).
   */
  public synchronized boolean installed() {
    return installed && mainRegistered;
  }

  private static final String FORM = "application/x-www-form-urlencoded";

  /** A form body whose percent-encoding does not decode (400 malformed-encoding). */
  static final class MalformedForm extends RuntimeException {
    MalformedForm() {
      super("form body is not valid percent-encoding", null, false, false);
    }
  }

  /**
   * Reads a webhook's form body up to {@code webhook.max-body-bytes} (413 past it) and decodes it
   * with the gate's own decoder, then hands the fields to the gate ({@link FormHandoff}) and the
   * request on with its body where Vert.x's body handler would have put it ({@code
   * RoutingContext.body()}). The request's form attributes stay empty, so Camel's platform-http
   * consumer copies no field into a header or a map body.
   *
   * <p>Why not Vert.x's body handler: for a form body it runs Netty's multipart decoder, which
   * decodes every field a byte at a time, throws (and fills the stack trace of) an
   * EndOfDataDecoderException at the end of every body, on the event loop, and refuses any field
   * over Vert.x's 8 KB form-attribute limit with 413. Twilio allows 1,600 characters in a message
   * body; percent-encoded, 1,600 characters of Chinese text are 14,400 bytes (nine per character),
   * so such an inbound message was refused every time Twilio posted it. The body limit alone now
   * bounds a webhook, whatever its fields (issue 20).
   */
  private void readForm(RoutingContext ctx) {
    RoutingContextInternal internal = (RoutingContextInternal) ctx;
    if (internal.seenHandler(RoutingContextInternal.BODY_HANDLER) || ctx.request().isEnded()) {
      // Read already (a reroute), or nothing left to read: as Vert.x's body handler would.
      ctx.next();
      return;
    }
    // Vert.x's body handler, which runs next on this route, sees this and leaves the body alone.
    internal.visitHandler(RoutingContextInternal.BODY_HANDLER);
    HttpServerRequest request = ctx.request();
    long declared = contentLength(request);
    if (declared > maxBodyBytes) {
      // Refused from Content-Length, before any of it is read.
      ctx.fail(413);
      return;
    }
    if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
      ctx.response().writeContinue();
    }
    Buffer body = Buffer.buffer(declared > 0 ? (int) declared : 1024);
    boolean[] failed = {false};
    request.exceptionHandler(
        e -> {
          if (!failed[0]) {
            failed[0] = true;
            ctx.fail(e);
          }
        });
    request.handler(
        chunk -> {
          if (failed[0]) {
            return;
          }
          if ((long) body.length() + chunk.length() > maxBodyBytes) {
            // A chunked body that outgrew the limit: refused mid-body.
            failed[0] = true;
            ctx.fail(413);
          } else {
            body.appendBuffer(chunk);
          }
        });
    request.endHandler(
        v -> {
          if (failed[0]) {
            return;
          }
          Map<String, List<String>> fields;
          try {
            fields = Forms.decode(body.toString(StandardCharsets.UTF_8));
          } catch (IllegalArgumentException e) {
            ctx.fail(400, new MalformedForm());
            return;
          }
          // To the gate directly, not through the request's form attributes (see FormHandoff).
          forms.put(request, fields);
          ctx.addEndHandler(done -> forms.take(request));
          internal.setBody(body);
          ctx.next();
        });
    // The router pauses a request until a handler wants its body.
    request.resume();
  }

  /** The Content-Length header's value, or -1 when there is none or it is not a number. */
  private static long contentLength(HttpServerRequest request) {
    String value = request.getHeader("Content-Length");
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void register(Router router) {
    for (int code : new int[] {400, 413, 415, 500, 503}) {
      router.errorHandler(code, this);
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    String reason;
    if (failure instanceof HttpPostRequestDecoder.TooLongFormFieldException
        || (failure != null && "Size exceed allowed maximum capacity".equals(failure.getMessage()))
        || status == 413) {
      status = 413;
      reason = "too-large";
    } else if (failure instanceof HttpPostRequestDecoder.ErrorDataDecoderException
        || failure instanceof MalformedForm) {
      status = 400;
      reason = "malformed-encoding";
    } else if (status == 400) {
      reason = "malformed";
    } else if (status == 415) {
      reason = "unsupported-media-type";
    } else if (draining) {
      // A request that got past the drain check just before shutdown began, failing because its
      // route stopped: 503, which Twilio retries elsewhere, not a 500.
      status = 503;
      reason = "draining";
    } else {
      status = 500;
      reason = "internal-error";
    }
    String path = ctx.request().path();
    String kind = kindOf(path);
    if (kind != null) {
      metrics.rejected(kind, reason);
    }
    log.rejected(
        status,
        reason,
        kind != null ? kind : "path " + safe(path),
        failure == null ? null : failure.getClass().getSimpleName());
    HttpServerResponse response = ctx.response();
    if (!response.ended() && !response.closed() && !response.headWritten()) {
      response.headers().clear();
      response
          .setStatusCode(status)
          .putHeader("Content-Type", "text/plain; charset=utf-8")
          // Refused mid-body: do not read the rest of an oversized upload.
          .putHeader("Connection", status == 413 ? "close" : "keep-alive")
          .end(reason + "\n");
    }
  }

  static String kindOf(String path) {
    if (path == null || !path.startsWith(WEBHOOK_PREFIX)) {
      return null;
    }
    return KINDS.get(path.substring(WEBHOOK_PREFIX.length()));
  }

  /** A path for the log: bounded and printable (it comes from the client). */
  private static String safe(String path) {
    if (path == null) {
      return "?";
    }
    String p = path.length() > 80 ? path.substring(0, 80) + "..." : path;
    return p.replaceAll("[^\\x21-\\x7e]", "?");
  }
}
