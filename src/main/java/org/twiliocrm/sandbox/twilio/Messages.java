package org.twiliocrm.sandbox.twilio;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The Messages resource: create with Twilio's checks, then a life of its own (queued -> sending ->
 * sent -> final status) paced per sender, with signed status callbacks at each step.
 */
final class Messages {
  static final Pattern E164 = Pattern.compile("\\+[1-9]\\d{1,14}");
  private static final Pattern SHORT_CODE = Pattern.compile("\\d{3,8}");

  private final TwilioSandboxSettings settings;
  private final SandboxState state;
  private final SenderPacer pacer;
  private final OutcomeRules outcomes;
  private final CallbackSender callbacks;
  private final Vertx vertx;
  private final SenderRegistry senders;

  Messages(
      TwilioSandboxSettings settings,
      SandboxState state,
      SenderPacer pacer,
      OutcomeRules outcomes,
      CallbackSender callbacks,
      Vertx vertx,
      SenderRegistry senders) {
    this.settings = settings;
    this.state = state;
    this.pacer = pacer;
    this.outcomes = outcomes;
    this.callbacks = callbacks;
    this.vertx = vertx;
    this.senders = senders;
  }

  /** POST .../Messages.json: checks as Twilio does, stores, starts the life cycle. */
  SandboxMessage create(String accountSid, Map<String, List<String>> p) {
    return create(accountSid, null, p);
  }

  /**
   * As {@link #create(String, Map)}, in a Twilio Region ({@code ie1}; null or us1 = the default),
   * whose token then signs the message's status callbacks.
   */
  SandboxMessage create(String accountSid, String region, Map<String, List<String>> p) {
    String to = Wire.first(p, "To");
    String from = Wire.first(p, "From");
    String mg = emptyToNull(Wire.first(p, "MessagingServiceSid"));
    String body = Wire.first(p, "Body");
    List<String> media = p.getOrDefault("MediaUrl", List.of());
    // Twilio treats an empty value as not set.
    String contentSid = emptyToNull(Wire.first(p, "ContentSid"));
    if (to == null || to.isEmpty()) {
      throw ApiError.badRequest(21604, "A 'To' phone number is required.");
    }
    if ((from == null || from.isEmpty()) && (mg == null || mg.isEmpty())) {
      throw ApiError.badRequest(
          21603, "A 'From' phone number or a 'MessagingServiceSid' is required.");
    }
    if ((body == null || body.isEmpty()) && media.isEmpty() && contentSid == null) {
      throw ApiError.badRequest(21602, "Message body is required.");
    }
    if (body != null && body.codePointCount(0, body.length()) > 1600) {
      throw ApiError.badRequest(
          21617, "The concatenated message body exceeds the 1600 character limit.");
    }
    if (media.size() > 10) {
      throw ApiError.badRequest(21623, "Number of media files exceeds allowed limit of 10.");
    }
    boolean whatsApp = to.startsWith("whatsapp:");
    if (!E164.matcher(SandboxState.bare(to)).matches()) {
      throw ApiError.badRequest(
          21211, "Invalid 'To' Phone Number: " + Wire.mask(SandboxState.bare(to)));
    }
    if (mg != null) {
      senders.checkMessagingService(mg);
    }
    String sender = from != null && !from.isEmpty() ? from : senders.senderFor(mg, whatsApp);
    String bareSender = SandboxState.bare(sender);
    if (!E164.matcher(bareSender).matches() && !SHORT_CODE.matcher(bareSender).matches()) {
      throw ApiError.badRequest(
          21212,
          "The 'From' number "
              + Wire.mask(bareSender)
              + " is not a valid phone number, shortcode, or alphanumeric sender ID.");
    }
    if (whatsApp != sender.startsWith("whatsapp:")) {
      throw ApiError.badRequest(
          21910, "Invalid From and To pair. From and To should be of the same channel");
    }
    if (from != null && !from.isEmpty()) {
      senders.checkMessageFrom(from); // magic From numbers, then ownership
    }
    MagicNumbers.check(
        MagicNumbers.Resource.MESSAGES, MagicNumbers.Param.TO, SandboxState.bare(to));
    if (state.optOuts.contains(SandboxState.optOutKey(to, sender))) {
      throw ApiError.badRequest(21610, "Attempt to send to unsubscribed recipient");
    }
    // A 'rejected' outcome rule: Twilio refuses the request itself, nothing is created.
    Integer refused = outcomes.rejectionFor(to);
    if (refused != null) {
      throw ApiError.badRequest(refused, errorText(refused));
    }
    Instant sendAt = sendAt(p, mg);
    Integer validity = validityPeriod(p);

    long waitNanos = 0;
    boolean queueFull = false;
    if (sendAt == null) {
      waitNanos = pacer.reserve(bareSender, System.nanoTime());
      if (waitNanos < 0) {
        if (mg == null) {
          throw ApiError.badRequest(
              21611, "This 'From' number has exceeded the maximum number of queued messages");
        }
        queueFull = true; // with a Messaging Service Twilio accepts, then fails with 30001
      }
    }
    String initial = sendAt != null ? "scheduled" : mg != null ? "accepted" : "queued";
    SandboxMessage m =
        new SandboxMessage(
            Wire.sid(media.isEmpty() ? "SM" : "MM"),
            accountSid,
            sender,
            to,
            body == null ? "" : body,
            List.copyOf(media),
            mg,
            Wire.first(p, "StatusCallback"),
            "outbound-api",
            contentSid,
            sendAt,
            initial);
    if (region != null && !org.twiliocrm.twilio.TwilioRegion.DEFAULT.equals(region)) {
      m.region = region;
    }
    state.add(m);
    if (sendAt != null) {
      long delay = Math.max(1, Duration.between(Instant.now(), sendAt).toMillis());
      vertx.setTimer(delay, id -> startSending(m, validity, Instant.now()));
    } else if (queueFull) {
      later(settings.stepMillis(), () -> finish(m, "failed", 30001, "Queue overflow"));
    } else {
      schedule(m, waitNanos / 1_000_000, validity);
    }
    return m;
  }

  /** An outbound message the sandbox itself sends (TwiML replies, keyword auto-replies). */
  SandboxMessage reply(String accountSid, String from, String to, String body, String direction) {
    SandboxMessage m =
        new SandboxMessage(
            Wire.sid("SM"),
            accountSid,
            from,
            to,
            body,
            List.of(),
            null,
            null,
            direction,
            null,
            null,
            "queued");
    state.add(m);
    schedule(m, 0, null);
    return m;
  }

  SandboxMessage fetch(String accountSid, String sid) {
    SandboxMessage m = state.messages.get(sid);
    if (m == null || !m.accountSid.equals(accountSid)) {
      throw ApiError.notFound("/2010-04-01/Accounts/" + accountSid + "/Messages/" + sid + ".json");
    }
    return m;
  }

  /**
   * POST .../Messages/{Sid}.json: {@code Status=canceled} cancels a scheduled message, {@code
   * Body=} (empty) redacts a finished one. Twilio allows no other change of the body.
   */
  SandboxMessage update(String accountSid, String sid, Map<String, List<String>> p) {
    SandboxMessage m = fetch(accountSid, sid);
    String status = Wire.first(p, "Status");
    String body = Wire.first(p, "Body");
    if (status != null && !status.isEmpty()) {
      if (!"canceled".equals(status)) {
        throw ApiError.badRequest(20001, "Status can only be updated to 'canceled'.");
      }
      if (!"scheduled".equals(m.status()) || !m.moveTo("canceled", null, null)) {
        throw ApiError.badRequest(
            30409, "Message " + sid + " cannot be canceled: it is not scheduled.");
      }
    } else if (body != null) {
      if (!body.isEmpty()) {
        throw ApiError.badRequest(
            20001, "A message body can only be redacted: update Body to an empty string.");
      }
      if (!SandboxMessage.isFinal(m.status())) {
        throw ApiError.badRequest(20009, "Cannot redact a message that is not finished.");
      }
      m.redact();
    }
    return m;
  }

  /** DELETE .../Messages/{Sid}.json: 204, except while the message is still being sent. */
  void delete(String accountSid, String sid) {
    SandboxMessage m = fetch(accountSid, sid);
    if (!SandboxMessage.isFinal(m.status()) && !"scheduled".equals(m.status())) {
      throw ApiError.badRequest(
          20009, "Cannot delete message because it is being sent (status " + m.status() + ").");
    }
    state.remove(sid);
  }

  /**
   * GET .../Messages.json, newest first, paged as Twilio pages: {@code PageSize} (max 1000), {@code
   * Page} and a {@code PageToken} naming the last message of the previous page, so messages created
   * while a client walks the pages do not shift it. Filters: To, From, DateSent, DateSent&lt;,
   * DateSent&gt; (days, UTC); every page URI keeps them.
   */
  Map<String, Object> list(String accountSid, Map<String, List<String>> q, String path) {
    String to = Wire.first(q, "To");
    String from = Wire.first(q, "From");
    String sentOn = Wire.first(q, "DateSent");
    String sentBefore = Wire.first(q, "DateSent<");
    String sentAfter = Wire.first(q, "DateSent>");
    int pageSize = intParam(q, "PageSize", 50, 1, 1000);
    int page = intParam(q, "Page", 0, 0, Integer.MAX_VALUE);
    String token = Wire.first(q, "PageToken");
    java.time.LocalDate on = day(sentOn, "DateSent");
    java.time.LocalDate before = day(sentBefore, "DateSent<");
    java.time.LocalDate after = day(sentAfter, "DateSent>");
    List<SandboxMessage> all = new ArrayList<>();
    for (SandboxMessage m : state.messages.values()) {
      if (!m.accountSid.equals(accountSid)
          || (to != null && !to.isEmpty() && !to.equals(m.to))
          || (from != null && !from.isEmpty() && !from.equals(m.from))) {
        continue;
      }
      if (on != null || before != null || after != null) {
        Instant sent = m.dateSent();
        if (sent == null) {
          continue;
        }
        java.time.LocalDate d = sent.atZone(ZoneOffset.UTC).toLocalDate();
        if ((on != null && !d.equals(on))
            || (before != null && d.isAfter(before))
            || (after != null && d.isBefore(after))) {
          continue;
        }
      }
      all.add(m);
    }
    all.sort(
        java.util.Comparator.comparing((SandboxMessage m) -> m.dateCreated)
            .thenComparing(m -> m.sid)
            .reversed());
    int start = page * pageSize;
    if (token != null && token.startsWith("PA") && token.length() > 2) {
      String after0 = token.substring(2);
      for (int i = 0; i < all.size(); i++) {
        if (all.get(i).sid.equals(after0)) {
          start = i + 1;
          break;
        }
      }
    }
    start = Math.min(start, all.size());
    int end = Math.min(all.size(), start + pageSize);
    List<Map<String, Object>> items =
        all.subList(start, end).stream().map(SandboxMessage::toJson).toList();
    StringBuilder filters = new StringBuilder();
    for (String name : List.of("To", "From", "DateSent", "DateSent<", "DateSent>")) {
      String v = Wire.first(q, name);
      if (v != null) {
        filters
            .append(java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8))
            .append('=')
            .append(java.net.URLEncoder.encode(v, java.nio.charset.StandardCharsets.UTF_8))
            .append('&');
      }
    }
    String base = path + "?" + filters + "PageSize=" + pageSize;
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("end", start + Math.max(0, items.size() - 1));
    out.put("first_page_uri", base + "&Page=0");
    out.put("messages", items);
    out.put(
        "next_page_uri",
        end < all.size()
            ? base + "&Page=" + (page + 1) + "&PageToken=PA" + all.get(end - 1).sid
            : null);
    out.put("page", page);
    out.put("page_size", pageSize);
    out.put("previous_page_uri", page > 0 ? base + "&Page=" + (page - 1) : null);
    out.put("start", start);
    out.put("uri", base + "&Page=" + page + (token != null ? "&PageToken=" + token : ""));
    return out;
  }

  private static int intParam(Map<String, List<String>> q, String name, int def, int min, int max) {
    String raw = Wire.first(q, name);
    if (raw == null || raw.isEmpty()) {
      return def;
    }
    try {
      long v = Long.parseLong(raw);
      if (v >= min) {
        return (int) Math.min(v, max);
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw ApiError.badRequest(20001, "Invalid " + name + ": '" + raw + "'");
  }

  private static java.time.LocalDate day(String raw, String name) {
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    try {
      return java.time.LocalDate.parse(raw.length() > 10 ? raw.substring(0, 10) : raw);
    } catch (DateTimeParseException e) {
      throw ApiError.badRequest(20001, "Invalid " + name + ": '" + raw + "', expected YYYY-MM-DD");
    }
  }

  private void schedule(SandboxMessage m, long waitMillis, Integer validity) {
    Instant enqueued = Instant.now();
    if (m.messagingServiceSid != null) {
      // accepted -> queued once the service picked a sender.
      later(
          Math.min(settings.stepMillis(), Math.max(0, waitMillis)),
          () -> move(m, "queued", null, null));
    }
    later(waitMillis, () -> startSending(m, validity, enqueued));
  }

  private void startSending(SandboxMessage m, Integer validity, Instant enqueued) {
    if (SandboxMessage.isFinal(m.status())) {
      return; // canceled while scheduled
    }
    if (validity != null
        && Duration.between(enqueued, Instant.now()).toMillis() > validity * 1000L) {
      finish(m, "failed", 30036, "Validity Period Expired");
      return;
    }
    if ("scheduled".equals(m.status())) {
      move(m, "queued", null, null);
    }
    move(m, "sending", null, null);
    later(
        settings.stepMillis(),
        () -> {
          move(m, "sent", null, null);
          later(settings.stepMillis(), () -> deliver(m));
        });
  }

  private void deliver(SandboxMessage m) {
    if (m.to.startsWith("whatsapp:")
        && m.contentSid == null
        && "outbound-api".equals(m.direction)) {
      Instant last = state.lastInbound.get(SandboxState.bare(m.to));
      if (last == null || last.isBefore(Instant.now().minus(Duration.ofHours(24)))) {
        finish(
            m,
            "failed",
            63016,
            "Failed to send freeform message because you are outside the allowed window. If you want to send messages outside the allowed window, please use a Message Template.");
        return;
      }
    }
    OutcomeRules.Outcome o = outcomes.outcomeFor(m.to);
    finish(m, o.status(), o.errorCode(), o.errorCode() == null ? null : errorText(o.errorCode()));
  }

  private void finish(SandboxMessage m, String status, Integer code, String text) {
    if (move(m, status, code, text) && ("delivered".equals(status) || "read".equals(status))) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("sid", m.sid);
      entry.put("from", m.from);
      entry.put("to", m.to);
      entry.put("body", m.body());
      entry.put("mediaUrls", m.mediaUrls);
      entry.put("channel", m.to.startsWith("whatsapp:") ? "whatsapp" : "sms");
      entry.put("kind", "message");
      entry.put("at", Instant.now().toString());
      state.deliverToInbox(m.to, entry);
    }
  }

  private boolean move(SandboxMessage m, String status, Integer code, String text) {
    // A message forgotten by a reset (or deleted) stops living, so it cannot leak into the next
    // test's inbox. One forgotten only for max-messages goes on: its send was accepted, and a
    // client sending faster than its sender's rate would otherwise never hear of its oldest
    // messages again.
    if (!state.alive(m) || !m.moveTo(status, code, text)) {
      return false;
    }
    if (m.statusCallback != null && !m.statusCallback.isEmpty()) {
      // A callback may wait behind many others (the connector acknowledges them more slowly than
      // a long run makes them): it keeps a few strings, not the message, whose history it writes
      // to only while the sandbox still keeps it.
      String sid = m.sid;
      callbacks.statusCallback(
          m.signer(),
          m.statusCallback,
          sid,
          status,
          StatusParams.of(m, status, code),
          e -> {
            SandboxMessage kept = state.messages.get(sid);
            if (kept != null) {
              kept.record(e);
            }
          });
    }
    return true;
  }

  /** Twilio's status callback parameter set. */
  static Map<String, List<String>> callbackParams(SandboxMessage m, String status, Integer code) {
    return StatusParams.of(m, status, code).get();
  }

  /**
   * What one status callback of a message says, as it was when the status changed: the parameters
   * are built from it when the callback is posted.
   */
  record StatusParams(
      String accountSid,
      String from,
      String sid,
      String messagingServiceSid,
      String to,
      String status,
      Integer code,
      long atMillis)
      implements Supplier<Map<String, List<String>>> {

    static StatusParams of(SandboxMessage m, String status, Integer code) {
      return new StatusParams(
          m.accountSid,
          m.from,
          m.sid,
          m.messagingServiceSid,
          m.to,
          status,
          code,
          System.currentTimeMillis());
    }

    @Override
    public Map<String, List<String>> get() {
      Map<String, List<String>> p = new LinkedHashMap<>();
      p.put("AccountSid", List.of(accountSid));
      p.put("ApiVersion", List.of("2010-04-01"));
      p.put("From", List.of(from));
      p.put("MessageSid", List.of(sid));
      p.put("MessageStatus", List.of(status));
      if (messagingServiceSid != null) {
        p.put("MessagingServiceSid", List.of(messagingServiceSid));
      }
      p.put("SmsSid", List.of(sid));
      p.put("SmsStatus", List.of(status));
      p.put("To", List.of(to));
      if (code != null) {
        p.put("ErrorCode", List.of(String.valueOf(code)));
      }
      if ("delivered".equals(status) || "undelivered".equals(status)) {
        // When the carrier's receipt came: the status change, not the post.
        p.put(
            "RawDlrDoneDate",
            List.of(
                DateTimeFormatter.ofPattern("yyMMddHHmm")
                    .format(Instant.ofEpochMilli(atMillis).atOffset(ZoneOffset.UTC))));
      }
      if (to.startsWith("whatsapp:")) {
        p.put("ChannelPrefix", List.of("whatsapp"));
        p.put("ChannelInstallSid", List.of("XE00000000000000000000000000000000"));
        p.put("ChannelToAddress", List.of(SandboxState.bare(to)));
        if ("read".equals(status)) {
          p.put("EventType", List.of("READ"));
        }
        if (code != null) {
          p.put("ChannelStatusMessage", List.of(errorText(code)));
        }
      }
      return p;
    }
  }

  static String errorText(int code) {
    return switch (code) {
      case 30001 -> "Queue overflow";
      case 30003 -> "Unreachable destination handset";
      case 30004 -> "Message blocked";
      case 30005 -> "Unknown destination handset";
      case 30006 -> "Landline or unreachable carrier";
      case 30007 -> "Message filtered";
      case 30008 -> "Unknown error";
      case 30036 -> "Validity Period Expired";
      case 63016 -> "Failed to send freeform message because you are outside the allowed window.";
      default -> "Error " + code;
    };
  }

  private Instant sendAt(Map<String, List<String>> p, String mg) {
    String raw = Wire.first(p, "SendAt");
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    if (mg == null) {
      throw ApiError.badRequest(35118, "MessagingServiceSid is required to schedule a message.");
    }
    if (!"fixed".equals(Wire.first(p, "ScheduleType"))) {
      throw ApiError.badRequest(35111, "ScheduleType must be 'fixed' when SendAt is set.");
    }
    Instant at;
    try {
      at = OffsetDateTime.parse(raw).toInstant();
    } catch (DateTimeParseException e) {
      at = null;
    }
    try {
      // twilio-java sends SendAt without an offset, meaning UTC.
      at = at != null ? at : java.time.LocalDateTime.parse(raw).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw ApiError.badRequest(35114, "SendAt must be an ISO 8601 date-time, got '" + raw + "'.");
    }
    Duration ahead = Duration.between(Instant.now(), at);
    if (ahead.getSeconds() < 300 || ahead.compareTo(Duration.ofDays(35)) > 0) {
      throw ApiError.badRequest(
          35115,
          "SendAt time must be between 300 seconds and 35 days (3024000 seconds) in the future.");
    }
    return at;
  }

  private static Integer validityPeriod(Map<String, List<String>> p) {
    String raw = Wire.first(p, "ValidityPeriod");
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    try {
      int v = Integer.parseInt(raw);
      if (v >= 1 && v <= 36000) {
        return v;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw ApiError.badRequest(
        20001, "ValidityPeriod must be an integer 1..36000, got '" + raw + "'.");
  }

  private void later(long millis, Runnable r) {
    if (millis <= 0) {
      vertx.runOnContext(v -> r.run());
    } else {
      vertx.setTimer(millis, id -> r.run());
    }
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
