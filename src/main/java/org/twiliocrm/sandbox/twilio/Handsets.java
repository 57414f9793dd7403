package org.twiliocrm.sandbox.twilio;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Acts as a phone: a handset writes to a sandbox number, the sandbox posts the message (signed) to
 * the number's webhook and delivers the TwiML reply back to the handset. Keywords follow Twilio's
 * default opt-out handling.
 */
final class Handsets {
  static final Set<String> STOP =
      Set.of("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT");
  static final Set<String> START = Set.of("START", "YES", "UNSTOP");
  static final Set<String> HELP = Set.of("HELP", "INFO");

  static final String STOP_REPLY =
      "You have successfully been unsubscribed. You will not receive any more messages from this"
          + " number. Reply START to resubscribe.";
  static final String START_REPLY =
      "You have successfully been re-subscribed to messages from this number. Reply HELP for help."
          + " Reply STOP to unsubscribe. Msg&Data Rates May Apply.";
  static final String HELP_REPLY = "Reply STOP to unsubscribe. Msg&Data Rates May Apply.";

  private final TwilioSandboxSettings settings;
  private final SandboxState state;
  private final Messages messages;
  private final CallbackSender sender;
  private final java.util.function.UnaryOperator<String> inboundUrl;

  /**
   * @param inboundUrl where a message to a sandbox number is posted (see MessagingApi)
   */
  Handsets(
      TwilioSandboxSettings settings,
      SandboxState state,
      Messages messages,
      CallbackSender sender,
      java.util.function.UnaryOperator<String> inboundUrl) {
    this.inboundUrl = inboundUrl;
    this.settings = settings;
    this.state = state;
    this.messages = messages;
    this.sender = sender;
  }

  /**
   * The handset {@code from} sends {@code body} to sandbox number {@code to}. Completes after the
   * webhook answered, with what happened.
   */
  CompletableFuture<Map<String, Object>> send(
      String from, String to, String body, List<String> mediaUrls) {
    if (!Messages.E164.matcher(SandboxState.bare(from)).matches()) {
      throw new IllegalArgumentException(
          "handset must be an E.164 number (optionally whatsapp:), got '" + from + "'");
    }
    if (to == null || !settings.numbers().contains(SandboxState.bare(to))) {
      throw new IllegalArgumentException(
          "'to' must be one of the sandbox numbers " + settings.numbers());
    }
    boolean whatsApp = from.startsWith("whatsapp:");
    String channelTo = whatsApp && !to.startsWith("whatsapp:") ? "whatsapp:" + to : to;
    String account = settings.accounts().keySet().iterator().next();
    SandboxMessage in =
        new SandboxMessage(
            Wire.sid(mediaUrls.isEmpty() ? "SM" : "MM"),
            account,
            from,
            channelTo,
            body,
            List.copyOf(mediaUrls),
            null,
            null,
            "inbound",
            null,
            null,
            "received");
    state.add(in);
    state.lastInbound.put(SandboxState.bare(from), Instant.now());

    String keyword = body == null ? "" : body.trim().toUpperCase(Locale.ROOT);
    String optKey = SandboxState.optOutKey(from, to);
    List<String> replies = new ArrayList<>();
    String autoReply = null;
    if (STOP.contains(keyword)) {
      state.optOuts.add(optKey);
      autoReply = STOP_REPLY;
    } else if (START.contains(keyword)) {
      state.optOuts.remove(optKey);
      autoReply = START_REPLY;
    } else if (HELP.contains(keyword)) {
      autoReply = HELP_REPLY;
    }
    if (autoReply != null) {
      in.record(Event.of("keyword", "keyword", keyword));
      replies.add(messages.reply(account, channelTo, from, autoReply, "outbound-reply").sid);
    }
    boolean stopped = STOP.contains(keyword);

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("sid", in.sid);
    result.put("from", from);
    result.put("to", channelTo);
    String url = inboundUrl.apply(SandboxState.bare(to));
    if (url == null || url.isBlank()) {
      result.put("webhook", null);
      result.put("replies", replies);
      return CompletableFuture.completedFuture(result);
    }
    return sender
        .post(inboundSigner(account), url, inboundParams(in, mediaUrls), in::record, "webhook")
        .thenApply(
            r -> {
              Map<String, Object> wh = new LinkedHashMap<>();
              wh.put("url", CallbackSender.stripFragment(url));
              wh.put("httpStatus", r.status());
              result.put("webhook", wh);
              if (r.ok() && !stopped) {
                try {
                  for (Twiml.Verb v : Twiml.parse(r.body())) {
                    if ("Message".equals(v.name())) {
                      String text = Twiml.messageBody(v);
                      replies.add(
                          messages.reply(account, channelTo, from, text, "outbound-reply").sid);
                    }
                  }
                } catch (IllegalArgumentException e) {
                  in.record(Event.of("twiml-error", "error", e.getMessage()));
                  wh.put("error", e.getMessage());
                }
              }
              result.put("replies", replies);
              return result;
            });
  }

  /** Parameters Twilio posts for an incoming message. */
  static Map<String, List<String>> inboundParams(SandboxMessage in, List<String> mediaUrls) {
    Map<String, List<String>> p = new LinkedHashMap<>();
    p.put("AccountSid", List.of(in.accountSid));
    p.put("ApiVersion", List.of("2010-04-01"));
    p.put("Body", List.of(in.body() == null ? "" : in.body()));
    p.put("From", List.of(in.from));
    p.put("MessageSid", List.of(in.sid));
    p.put("NumMedia", List.of(String.valueOf(mediaUrls.size())));
    p.put("NumSegments", List.of(String.valueOf(in.numSegments())));
    p.put("SmsMessageSid", List.of(in.sid));
    p.put("SmsSid", List.of(in.sid));
    p.put("SmsStatus", List.of("received"));
    p.put("To", List.of(in.to));
    for (int i = 0; i < mediaUrls.size(); i++) {
      p.put("MediaUrl" + i, List.of(mediaUrls.get(i)));
      p.put("MediaContentType" + i, List.of("image/jpeg"));
    }
    boolean us = SandboxState.bare(in.from).startsWith("+1");
    p.put("FromCountry", List.of(us ? "US" : ""));
    p.put("ToCountry", List.of("US"));
    if (in.from.startsWith("whatsapp:")) {
      p.put("ProfileName", List.of("Sandbox Handset"));
      p.put("WaId", List.of(SandboxState.bare(in.from).substring(1)));
    }
    return p;
  }

  /** Who signs inbound webhooks: the account, or {@code AC...@ie1} when numbers are regional. */
  private String inboundSigner(String account) {
    String r = settings.numbersRegion();
    return r == null || r.isBlank() || org.twiliocrm.twilio.TwilioRegion.DEFAULT.equals(r)
        ? account
        : account + "@" + r;
  }
}
