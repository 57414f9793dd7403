package org.twiliocrm.sandbox.twilio;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * The Calls resource: the sandbox "dials" the handset, fetches TwiML from Url (signed, as Twilio
 * does) or takes Twiml, records {@code <Say>} and {@code <Gather>}, lets the handset answer a
 * Gather, and sends StatusCallbackEvent callbacks.
 *
 * <p>Outcome by recipient (fixed sandbox numbers): +15005554001 busy, +15005554002 no-answer,
 * +15005554003 failed, +15005554004 answered by a machine (with MachineDetection); anyone else
 * answers as a human.
 */
final class Calls {
  static final Map<String, String> OUTCOMES =
      Map.of(
          "+15005554001", "busy",
          "+15005554002", "no-answer",
          "+15005554003", "failed",
          "+15005554004", "machine");
  private static final Set<String> EVENTS = Set.of("initiated", "ringing", "answered", "completed");
  private static final Pattern E164 = Messages.E164;

  private final TwilioSandboxSettings settings;
  private final SandboxState state;
  private final CallbackSender sender;
  private final Vertx vertx;
  private final SenderRegistry senders;

  Calls(
      TwilioSandboxSettings settings,
      SandboxState state,
      CallbackSender sender,
      Vertx vertx,
      SenderRegistry senders) {
    this.settings = settings;
    this.state = state;
    this.sender = sender;
    this.vertx = vertx;
    this.senders = senders;
  }

  SandboxCall create(String account, Map<String, List<String>> p) {
    return create(account, null, p);
  }

  /** As {@link #create(String, Map)}, in a Twilio Region (null or us1 = the default). */
  SandboxCall create(String account, String region, Map<String, List<String>> p) {
    String to = Wire.first(p, "To");
    String from = Wire.first(p, "From");
    String url = Wire.first(p, "Url");
    String twiml = Wire.first(p, "Twiml");
    if (to == null || !E164.matcher(to).matches()) {
      throw ApiError.badRequest(
          21211, "Invalid 'To' Phone Number: " + Wire.mask(String.valueOf(to)));
    }
    if (from == null || !E164.matcher(from).matches()) {
      throw ApiError.badRequest(
          21212, "Invalid 'From' Phone Number: " + Wire.mask(String.valueOf(from)));
    }
    senders.checkCallFrom(from); // magic From numbers, then ownership (21210)
    MagicNumbers.check(MagicNumbers.Resource.CALLS, MagicNumbers.Param.TO, to);
    if ((url == null) == (twiml == null) && Wire.first(p, "ApplicationSid") == null) {
      throw ApiError.badRequest(21205, "Exactly one of Url, Twiml or ApplicationSid is required.");
    }
    if (twiml != null && twiml.length() > 4000) {
      throw ApiError.badRequest(21232, "Twiml exceeds the 4000 character limit.");
    }
    if (twiml != null) {
      try {
        Twiml.parse(twiml);
      } catch (IllegalArgumentException e) {
        throw ApiError.badRequest(21205, "Invalid Twiml: " + e.getMessage());
      }
    }
    Set<String> events = new LinkedHashSet<>();
    for (String e : p.getOrDefault("StatusCallbackEvent", List.of())) {
      for (String one : e.split("[ ,]+")) {
        if (!one.isEmpty()) {
          String ev = one.toLowerCase(Locale.ROOT);
          if (!EVENTS.contains(ev)) {
            throw ApiError.badRequest(21626, "Invalid StatusCallbackEvent '" + one + "'");
          }
          events.add(ev);
        }
      }
    }
    events.add("completed"); // Twilio always reports the end
    SandboxCall c =
        new SandboxCall(
            Wire.sid("CA"),
            account,
            from,
            to,
            url,
            twiml,
            Wire.first(p, "StatusCallback"),
            events,
            Wire.first(p, "MachineDetection"));
    if (region != null && !org.twiliocrm.twilio.TwilioRegion.DEFAULT.equals(region)) {
      c.region = region;
    }
    state.calls.put(c.sid, c);
    later(settings.stepMillis(), () -> dial(c));
    return c;
  }

  SandboxCall fetch(String account, String sid) {
    SandboxCall c = state.calls.get(sid);
    if (c == null || !c.accountSid.equals(account)) {
      throw ApiError.notFound("/2010-04-01/Accounts/" + account + "/Calls/" + sid + ".json");
    }
    return c;
  }

  /** Status=completed hangs up a live call, Status=canceled a queued or ringing one. */
  SandboxCall update(String account, String sid, Map<String, List<String>> p) {
    SandboxCall c = fetch(account, sid);
    String status = Wire.first(p, "Status");
    if ("completed".equals(status) || "canceled".equals(status)) {
      String now = c.status();
      if ("canceled".equals(status) && !("queued".equals(now) || "ringing".equals(now))) {
        throw ApiError.badRequest(21220, "Call is not in a state that can be canceled: " + now);
      }
      end(c, "canceled".equals(status) ? "canceled" : "completed");
    }
    return c;
  }

  List<Map<String, Object>> forHandset(String handset) {
    List<Map<String, Object>> out = new ArrayList<>();
    state.calls.values().stream()
        .filter(c -> c.to.equals(handset))
        .sorted(Comparator.comparing(c -> c.dateCreated))
        .forEach(c -> out.add(c.forHandset()));
    return out;
  }

  /** The handset presses keys for the Gather it is hearing. */
  CompletableFuture<Map<String, Object>> answerGather(
      String handset, String callSid, String digits) {
    SandboxCall c = state.calls.get(callSid);
    if (c == null || !c.to.equals(handset)) {
      throw new IllegalArgumentException("no call " + callSid + " to " + handset);
    }
    java.util.function.Consumer<String> g;
    synchronized (c) {
      g = c.pendingGather;
      c.pendingGather = null;
    }
    if (g == null) {
      throw new IllegalArgumentException("call " + callSid + " is not waiting for digits");
    }
    g.accept(digits);
    return CompletableFuture.completedFuture(c.forHandset());
  }

  private void dial(SandboxCall c) {
    if (!alive(c)) {
      return;
    }
    callback(c, "initiated", "initiated");
    later(
        settings.stepMillis(),
        () -> {
          if (!alive(c) || !c.moveTo("ringing")) {
            return;
          }
          callback(c, "ringing", "ringing");
          later(settings.stepMillis(), () -> answer(c));
        });
  }

  private void answer(SandboxCall c) {
    if (!alive(c)) {
      return;
    }
    String outcome = OUTCOMES.getOrDefault(c.to, "human");
    if (Set.of("busy", "no-answer", "failed").contains(outcome)) {
      end(c, outcome);
      return;
    }
    if (c.machineDetection != null) {
      boolean machine = outcome.equals("machine");
      boolean messageEnd = "DetectMessageEnd".equalsIgnoreCase(c.machineDetection);
      c.answeredBy(machine ? (messageEnd ? "machine_end_beep" : "machine_start") : "human");
    }
    if (!c.moveTo("in-progress")) {
      return;
    }
    callback(c, "answered", "in-progress");
    if (c.twiml != null) {
      run(c, Twiml.parse(c.twiml), 0, c.url);
    } else if (c.url == null) {
      // ApplicationSid: the sandbox has no TwiML Apps, so the call just ends.
      c.record(Event.of("twiml-error", "error", "ApplicationSid calls are not emulated"));
      end(c, "completed");
    } else {
      fetchAndRun(c, c.url, Map.of());
    }
  }

  private void fetchAndRun(SandboxCall c, String url, Map<String, String> extra) {
    Map<String, List<String>> params = callParams(c, c.status());
    extra.forEach((k, v) -> params.put(k, List.of(v)));
    sender
        .post(c.signer(), url, params, c::record, "twiml-fetch")
        .thenAccept(
            r -> {
              if (!r.ok()) {
                c.record(Event.of("twiml-error", "url", url, "httpStatus", r.status()));
                end(c, "completed");
                return;
              }
              try {
                run(c, Twiml.parse(r.body()), 0, url);
              } catch (IllegalArgumentException e) {
                c.record(Event.of("twiml-error", "url", url, "error", e.getMessage()));
                end(c, "completed");
              }
            });
  }

  /** Executes verbs from index i; returns when the call ends or waits (Gather, Redirect). */
  private void run(SandboxCall c, List<Twiml.Verb> verbs, int i, String documentUrl) {
    for (int k = i; k < verbs.size(); k++) {
      if (!alive(c) || SandboxCall.isFinal(c.status())) {
        return;
      }
      Twiml.Verb v = verbs.get(k);
      switch (v.name()) {
        case "Say" -> c.said(v.text());
        case "Play" -> c.record(Event.of("play", "url", v.text()));
        case "Pause" -> c.record(Event.of("pause", "length", v.attr("length")));
        case "Hangup", "Reject" -> {
          end(c, "completed");
          return;
        }
        case "Redirect" -> {
          fetchAndRun(c, resolve(documentUrl, v.text()), Map.of());
          return;
        }
        case "Gather" -> {
          gather(c, v, verbs, k, documentUrl);
          return;
        }
        default -> c.record(Event.of("twiml-unsupported", "verb", v.name()));
      }
    }
    end(c, "completed");
  }

  private void gather(
      SandboxCall c, Twiml.Verb v, List<Twiml.Verb> verbs, int k, String documentUrl) {
    StringBuilder prompt = new StringBuilder();
    var says = v.element().getElementsByTagName("Say");
    for (int j = 0; j < says.getLength(); j++) {
      String text = says.item(j).getTextContent().trim();
      c.said(text);
      prompt.append(prompt.length() > 0 ? " " : "").append(text);
    }
    String action = v.attr("action") != null ? resolve(documentUrl, v.attr("action")) : documentUrl;
    int timeoutSeconds = parseInt(v.attr("timeout"), 5);
    long token = System.nanoTime();
    java.util.function.Consumer<String> onDigits =
        digits -> {
          c.gathered(prompt.toString(), digits);
          if (action == null) {
            run(c, verbs, k + 1, documentUrl);
          } else {
            fetchAndRun(c, action, Map.of("Digits", digits));
          }
        };
    synchronized (c) {
      c.pendingGather = onDigits;
    }
    vertx.setTimer(
        Math.max(1, timeoutSeconds * 1000L),
        id -> {
          boolean expired;
          synchronized (c) {
            expired = c.pendingGather == onDigits;
            if (expired) {
              c.pendingGather = null;
            }
          }
          if (expired) {
            c.gathered(prompt.toString(), null);
            run(c, verbs, k + 1, documentUrl); // no input: Twilio moves on to the next verb
          }
        });
    c.record(Event.of("gather-waiting", "action", action, "token", token));
  }

  private void end(SandboxCall c, String status) {
    if (c.moveTo(status)) {
      callback(c, "completed", status);
    }
  }

  private void callback(SandboxCall c, String event, String callStatus) {
    if (c.statusCallback == null || !c.callbackEvents.contains(event)) {
      return;
    }
    Map<String, List<String>> p = callParams(c, callStatus);
    p.put("CallbackSource", List.of("call-progress-events"));
    p.put("SequenceNumber", List.of(String.valueOf(c.nextSequence())));
    p.put("Timestamp", List.of(Wire.rfc2822(java.time.Instant.now())));
    if (SandboxCall.isFinal(callStatus)) {
      p.put("CallDuration", List.of(String.valueOf(c.durationSeconds())));
      p.put("Duration", List.of(String.valueOf((c.durationSeconds() + 59) / 60)));
    }
    sender.statusCallback(c.signer(), c.statusCallback, p, c::record);
  }

  private static Map<String, List<String>> callParams(SandboxCall c, String callStatus) {
    Map<String, List<String>> p = new LinkedHashMap<>();
    p.put("AccountSid", List.of(c.accountSid));
    p.put("ApiVersion", List.of("2010-04-01"));
    p.put("CallSid", List.of(c.sid));
    p.put("CallStatus", List.of(callStatus));
    p.put("Called", List.of(c.to));
    p.put("Caller", List.of(c.from));
    p.put("Direction", List.of("outbound-api"));
    p.put("From", List.of(c.from));
    p.put("To", List.of(c.to));
    if (c.answeredBy() != null) {
      p.put("AnsweredBy", List.of(c.answeredBy()));
    }
    return p;
  }

  private boolean alive(SandboxCall c) {
    return state.calls.get(c.sid) == c; // forgotten by a reset
  }

  private static String resolve(String base, String ref) {
    if (base == null) {
      return ref;
    }
    return java.net.URI.create(base).resolve(ref).toString();
  }

  private static int parseInt(String s, int def) {
    try {
      return s == null ? def : Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return def;
    }
  }

  private void later(long millis, Runnable r) {
    vertx.setTimer(Math.max(1, millis), id -> r.run());
  }
}
