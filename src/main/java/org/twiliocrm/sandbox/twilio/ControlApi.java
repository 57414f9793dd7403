package org.twiliocrm.sandbox.twilio;

import com.fasterxml.jackson.core.type.TypeReference;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /sandbox/...}: inspection, handsets, faults, reset. JSON in, JSON out. Documented in
 * src/main/resources/sandbox/twilio/CONTROL-API.md. Not authenticated: bind the sandbox to
 * localhost.
 */
final class ControlApi {
  private final TwilioSandbox sandbox;
  private final SandboxState state;
  private final Handsets handsets;
  private final Calls calls;
  private final OutcomeRules outcomes;
  private final Vertx vertx;

  ControlApi(
      TwilioSandbox sandbox,
      SandboxState state,
      Handsets handsets,
      Calls calls,
      OutcomeRules outcomes,
      Vertx vertx) {
    this.sandbox = sandbox;
    this.state = state;
    this.handsets = handsets;
    this.calls = calls;
    this.outcomes = outcomes;
    this.vertx = vertx;
  }

  void handle(HttpServerRequest req) {
    Context ctx = vertx.getOrCreateContext();
    req.body()
        .onSuccess(
            body -> {
              try {
                routeConsistently(req, body)
                    .whenComplete(
                        (res, err) ->
                            ctx.runOnContext(
                                v -> {
                                  if (err != null) {
                                    Throwable cause = err.getCause() != null ? err.getCause() : err;
                                    reply(
                                        req,
                                        cause instanceof IllegalArgumentException ? 400 : 500,
                                        error(cause));
                                  } else {
                                    reply(req, (Integer) res[0], res[1]);
                                  }
                                }));
              } catch (IllegalArgumentException e) {
                reply(req, 400, error(e));
              } catch (NotFound e) {
                reply(req, 404, error(e));
              } catch (RuntimeException e) {
                reply(req, 500, error(e));
              }
            });
  }

  private static final class NotFound extends RuntimeException {
    NotFound(String what) {
      super(what + " not found", null, false, false);
    }
  }

  /**
   * Inspection (GET) holds the read lock, as API requests do, so a listing taken while a reset runs
   * shows the state wholly before or wholly after it. GET answers are built synchronously.
   */
  private CompletableFuture<Object[]> routeConsistently(HttpServerRequest req, Buffer body) {
    if (!"GET".equals(req.method().name())) {
      return route(req, body);
    }
    state.lock.readLock().lock();
    try {
      return route(req, body);
    } finally {
      state.lock.readLock().unlock();
    }
  }

  private CompletableFuture<Object[]> route(HttpServerRequest req, Buffer body) {
    String method = req.method().name();
    List<String> seg = new ArrayList<>();
    for (String s : req.path().split("/")) {
      if (!s.isEmpty()) {
        // Path segments: "+" is a literal plus (a phone number), not a space.
        seg.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
      }
    }
    // seg[0] == "sandbox"
    String head = seg.size() > 1 ? seg.get(1) : "";
    Map<String, String> q = new LinkedHashMap<>();
    req.params().forEach(e -> q.put(e.getKey(), e.getValue()));
    switch (method + " " + head + "/" + (seg.size() - 2)) {
      case "GET messages/0":
        return done(200, listMessages(q));
      case "GET messages/1":
        return done(200, found(state.messages.get(seg.get(2)), "message").toInspection());
      case "GET calls/0":
        return done(
            200,
            state.calls.values().stream()
                .sorted(Comparator.comparing(c -> c.dateCreated))
                .map(SandboxCall::toInspection)
                .toList());
      case "GET calls/1":
        return done(200, found(state.calls.get(seg.get(2)), "call").toInspection());
      case "GET verifications/0":
        return done(
            200,
            state.verifications.values().stream()
                .sorted(Comparator.comparing(v -> v.dateCreated))
                .map(SandboxVerification::toInspection)
                .toList());
      case "GET verify-services/0":
        return done(
            200,
            state.verifyServices.values().stream()
                .map(m -> (Object) new LinkedHashMap<>(m))
                .toList());
      case "GET opt-outs/0":
        return done(200, optOuts(q.get("handset")));
      case "GET handsets/0":
        return done(200, handsetList());
      case "POST reset/0":
        sandbox.reset();
        return done(200, Map.of("reset", true));
      case "GET faults/0":
        return done(200, sandbox.faults().toMap());
      case "PUT faults/0":
      case "POST faults/0":
        sandbox.faults(sandbox.faults().with(json(body)));
        return done(200, sandbox.faults().toMap());
      case "DELETE faults/0":
        sandbox.faults(Faults.NONE);
        return done(200, sandbox.faults().toMap());
      case "GET requests/0":
        return done(200, requestCounts());
      case "GET validation/0":
        return done(200, sandbox.validationStatus());
      case "PUT validation/0":
        {
          Map<String, Object> m = json(body);
          Map<String, Object> now = sandbox.validationStatus();
          boolean requests = bool(m.getOrDefault("requests", now.get("requests")));
          boolean responses = bool(m.getOrDefault("responses", now.get("responses")));
          // Loading the OpenAPI takes seconds: not on the event loop.
          return CompletableFuture.supplyAsync(
              () -> {
                sandbox.validation(requests, responses);
                return new Object[] {200, sandbox.validationStatus()};
              });
        }
      case "GET outcomes/0":
        return done(
            200,
            outcomes.rules().stream()
                .map(
                    r -> {
                      Map<String, Object> m = new LinkedHashMap<>();
                      m.put("pattern", r.pattern().pattern());
                      m.put("status", r.status());
                      m.put("errorCode", r.errorCode());
                      return m;
                    })
                .toList());
      case "POST outcomes/0":
        {
          Map<String, Object> m = json(body);
          Object code = m.get("errorCode");
          outcomes.addFirst(
              (String) m.get("pattern"),
              (String) m.get("status"),
              code == null ? null : ((Number) code).intValue());
          return done(201, Map.of("added", m));
        }
      case "PUT numbers/1":
        {
          Map<String, Object> m = json(body);
          String number = seg.get(2);
          if (!sandbox.senders().ownsNumber(number)) {
            throw new IllegalArgumentException("not a sandbox number: " + number);
          }
          Object url = m.get("smsUrl");
          if (url == null) {
            state.smsWebhooks.remove(number);
          } else {
            state.smsWebhooks.put(number, url.toString());
          }
          return done(200, Map.of("number", number, "smsUrl", url == null ? "" : url));
        }
      case "DELETE numbers/1":
        // Releases a number: preflight then reports the sender as not owned (undone by reset).
        return done(
            200,
            Map.of("number", seg.get(2), "released", sandbox.senders().removeNumber(seg.get(2))));
      case "PUT registrations/1":
        // A US A2P campaign status (MG...) or a toll-free verification status (number).
        return done(
            200,
            sandbox.messaging().register(seg.get(2), String.valueOf(json(body).get("status"))));
      case "POST numbers/1":
        return done(
            200, Map.of("number", seg.get(2), "added", sandbox.senders().addNumber(seg.get(2))));
      case "GET handsets/2":
        if (seg.get(3).equals("inbox")) {
          return done(200, state.inbox(seg.get(2)));
        }
        if (seg.get(3).equals("calls")) {
          return done(200, calls.forHandset(seg.get(2)));
        }
        break;
      case "POST handsets/2":
        if (seg.get(3).equals("messages")) {
          Map<String, Object> m = json(body);
          @SuppressWarnings("unchecked")
          List<String> media = (List<String>) m.getOrDefault("mediaUrls", List.of());
          return handsets
              .send(seg.get(2), (String) m.get("to"), (String) m.getOrDefault("body", ""), media)
              .thenApply(r -> new Object[] {201, r});
        }
        break;
      case "POST handsets/4":
        if (seg.get(3).equals("calls") && seg.get(5).equals("digits")) {
          Map<String, Object> m = json(body);
          return calls
              .answerGather(seg.get(2), seg.get(4), String.valueOf(m.get("digits")))
              .thenApply(r -> new Object[] {200, r});
        }
        break;
      default:
        break;
    }
    throw new NotFound(method + " " + req.path());
  }

  private Map<String, Object> requestCounts() {
    Map<String, Object> m = new LinkedHashMap<>();
    state.requestCounts.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> m.put(e.getKey(), e.getValue().sum()));
    return m;
  }

  /** Consent as the handset sees it: each (handset, sender) pair opted out with STOP. */
  private List<Map<String, Object>> optOuts(String handset) {
    String bare = handset == null ? null : SandboxState.bare(handset);
    return state.optOuts.stream()
        .sorted()
        .map(k -> k.split("\\|", 2))
        .filter(k -> bare == null || bare.equals(k[0]))
        .map(k -> Map.<String, Object>of("handset", k[0], "sender", k[1]))
        .toList();
  }

  /** Every handset that received something, with how many entries its inbox holds. */
  private List<Map<String, Object>> handsetList() {
    return state.inboxes.keySet().stream()
        .sorted()
        .map(h -> Map.<String, Object>of("phone", h, "received", state.inbox(h).size()))
        .toList();
  }

  private List<Map<String, Object>> listMessages(Map<String, String> q) {
    String to = q.get("to");
    String from = q.get("from");
    String status = q.get("status");
    return state.messages.values().stream()
        .filter(m -> to == null || to.equals(m.to) || to.equals(SandboxState.bare(m.to)))
        .filter(m -> from == null || from.equals(m.from) || from.equals(SandboxState.bare(m.from)))
        .filter(m -> status == null || status.equals(m.status()))
        .sorted(Comparator.comparing(m -> m.dateCreated))
        .map(SandboxMessage::toInspection)
        .toList();
  }

  private static <T> T found(T t, String what) {
    if (t == null) {
      throw new NotFound(what);
    }
    return t;
  }

  private static boolean bool(Object o) {
    return Boolean.TRUE.equals(o) || "true".equals(o);
  }

  private static Map<String, Object> json(Buffer body) {
    if (body == null || body.length() == 0) {
      return Map.of();
    }
    try {
      return Wire.JSON.readValue(
          body.getBytes(), new TypeReference<LinkedHashMap<String, Object>>() {});
    } catch (Exception e) {
      throw new IllegalArgumentException("body must be a JSON object: " + e.getMessage());
    }
  }

  private static CompletableFuture<Object[]> done(int status, Object body) {
    return CompletableFuture.completedFuture(new Object[] {status, body});
  }

  private static Map<String, Object> error(Throwable e) {
    return Map.of("error", String.valueOf(e.getMessage()));
  }

  private static void reply(HttpServerRequest req, int status, Object body) {
    req.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(Buffer.buffer(Wire.json(body)));
  }
}
