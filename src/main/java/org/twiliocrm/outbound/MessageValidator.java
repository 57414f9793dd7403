package org.twiliocrm.outbound;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.twiliocrm.governance.Channel;
import org.twiliocrm.governance.FallbackChain;
import org.twiliocrm.governance.PhoneRules;
import org.twiliocrm.governance.SegmentCounter;
import org.twiliocrm.governance.templates.ApprovedTemplates;
import org.twiliocrm.governance.templates.MessageTemplate;
import org.twiliocrm.governance.templates.TemplateApprovals;

/**
 * Checks a row before anything reaches Twilio, and renders its final text. Each problem fails the
 * row with a reason code a user can filter on; nothing here throws for bad input, so one bad row
 * never stops the batch.
 *
 * <p>Reason codes: INVALID_RECIPIENT, INVALID_SENDER, SENDER_MISSING, WHATSAPP_ADDRESS,
 * CONTENT_SID_INVALID, CONTENT_VARIABLES_INVALID, CONTENT_NOT_ALLOWED, BODY_MISSING, BODY_CONFLICT,
 * BODY_TOO_LONG, TOO_MANY_SEGMENTS, TEMPLATE_UNKNOWN, TEMPLATE_VARIABLES_INVALID,
 * TEMPLATE_VARIABLES_MISSING, TEMPLATE_CHANNEL_MISSING, MEDIA_URLS_INVALID, MEDIA_TOO_MANY,
 * MEDIA_NOT_ALLOWED, VERIFY_NOT_CONFIGURED, FALLBACK_CHAIN_INVALID.
 */
public final class MessageValidator {
  /** Twilio's limit on a message body, in characters. */
  public static final int MAX_BODY_CHARS = 1600;

  /** Twilio's limit on MediaUrl values per message. */
  public static final int MAX_MEDIA = 10;

  /** TwiML for a call may be at most 4000 characters. */
  static final int MAX_TWIML_CHARS = 4000;

  private static final Pattern CONTENT_SID = Pattern.compile("HX[0-9a-fA-F]{32}");
  private static final Pattern SERVICE_SID = Pattern.compile("MG[0-9a-fA-F]{32}");
  private static final Pattern ALPHANUMERIC_SENDER = Pattern.compile("[A-Za-z][A-Za-z0-9 ]{0,10}");

  /**
   * Senders are few (the account's own numbers) and repeat on every row, so their E.164 form is
   * kept instead of parsing each time with libphonenumber (a tenth of the per-row CPU at thousands
   * of sends a second). Bounded: beyond it, senders are parsed per row as before.
   */
  private static final int SENDER_CACHE_MAX = 1_000;

  private final java.util.concurrent.ConcurrentHashMap<String, Optional<String>> senders =
      new java.util.concurrent.ConcurrentHashMap<>();
  private static final String WHATSAPP = "whatsapp:";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PhoneRules phones;
  private final Templates templates;
  private final ApprovedTemplates approved;

  /** The policy segment cap ({@code outbox.max-segments}); 0 = none, Twilio's limits only. */
  private final int maxSegments;

  private final String verifyServiceSid;

  public MessageValidator(
      PhoneRules phones,
      Templates templates,
      ApprovedTemplates approved,
      int maxSegments,
      String verifyServiceSid) {
    this.phones = phones;
    this.templates = templates;
    this.approved = approved;
    this.maxSegments = maxSegments;
    this.verifyServiceSid = verifyServiceSid;
  }

  /**
   * Route step "validate" over a claimed batch. The claim route runs it once per batch, before the
   * rows fan out to the send consumers. A row whose check throws fails alone (INTERNAL_ERROR), so
   * it cannot take the rest of the batch with it.
   */
  public List<OutboxWork> validateAll(List<OutboxWork> batch) {
    for (OutboxWork w : batch) {
      try {
        validate(w);
      } catch (RuntimeException e) {
        internalError(w, "validate", e);
      }
    }
    return batch;
  }

  /** Route step "render" over a claimed batch; see {@link #validateAll}. */
  public List<OutboxWork> renderAll(List<OutboxWork> batch) {
    for (OutboxWork w : batch) {
      try {
        render(w);
      } catch (RuntimeException e) {
        internalError(w, "render", e);
      }
    }
    return batch;
  }

  private Optional<String> senderE164(String sender) {
    Optional<String> known = senders.get(sender);
    if (known != null) {
      return known;
    }
    Optional<String> e164 = phones.toE164(sender);
    if (senders.size() < SENDER_CACHE_MAX) {
      senders.put(sender, e164);
    }
    return e164;
  }

  private static void internalError(OutboxWork w, String step, RuntimeException e) {
    if (w.isDecided()) {
      return;
    }
    String why = step + " failed: " + e;
    w.decide(Outcome.failed("INTERNAL_ERROR", why, null));
    w.log("VALIDATE", "INTERNAL_ERROR", null, null, null, why);
  }

  /** Route step "validate": normalises addresses, checks the request's shape. */
  public void validate(OutboxWork work) {
    if (work.isDecided()) {
      return;
    }
    Optional<String> problem = check(work);
    problem.ifPresent(p -> fail(work, p));
  }

  /** Route step "render": the final body (template applied), its length and segment count. */
  public void render(OutboxWork work) {
    if (work.isDecided()) {
      return;
    }
    OutboxRow row = work.getRow();
    String body = row.body();
    if (row.templateName() != null) {
      body = renderTemplate(work, row);
      if (work.isDecided() || body == null) {
        return;
      }
    }
    work.setBody(body);
    if (body == null) {
      return;
    }
    // Twilio counts characters, not UTF-16 units: an emoji is one of the 1,600 (as the sandbox).
    int chars = body.codePointCount(0, body.length());
    if (chars > MAX_BODY_CHARS && row.channel() != Channel.VOICE) {
      fail(work, "BODY_TOO_LONG: " + chars + " characters, Twilio allows " + MAX_BODY_CHARS);
      return;
    }
    if (row.channel() == Channel.VOICE) {
      if (Twiml.say(body).length() > MAX_TWIML_CHARS) {
        fail(work, "BODY_TOO_LONG: the spoken text makes TwiML over " + MAX_TWIML_CHARS + " chars");
      }
      return;
    }
    SegmentCounter.Count count = SegmentCounter.count(body);
    // Twilio itself sends any body up to 1,600 characters; a cap on segments (cost) is the
    // operator's policy, off unless outbox.max-segments is set.
    if (maxSegments > 0 && row.channel() != Channel.WHATSAPP && count.segments() > maxSegments) {
      fail(
          work,
          "TOO_MANY_SEGMENTS: "
              + count.segments()
              + " "
              + count.encoding()
              + " segments exceeds the configured segment cap outbox.max-segments="
              + maxSegments
              + " (a policy, Twilio itself allows 1,600 characters)");
      return;
    }
    work.setSegments(count.segments());
  }

  /**
   * The text of a template row, from the template's last approved version (never from the files as
   * they are now). A template with no approved version holds the row (HELD, AWAITING_APPROVAL)
   * until one is approved; a WhatsApp form sets ContentSid and ContentVariables instead of a body.
   */
  private String renderTemplate(OutboxWork work, OutboxRow row) {
    Optional<MessageTemplate> a = approved.approved(row.templateName());
    if (a.isEmpty()) {
      String why =
          TemplateApprovals.HELD_REASON_PREFIX
              + " '"
              + row.templateName()
              + "' has no approved version yet; the row is sent once one is approved";
      work.decide(
          new Outcome(
              TemplateApprovals.HELD_STATUS,
              TemplateApprovals.HELD_REASON_CODE,
              why,
              null,
              null,
              null,
              null,
              0));
      work.log("APPROVAL", "HELD", null, null, null, why);
      return null;
    }
    MessageTemplate t = a.get();
    MessageTemplate.Forms forms = t.forms(row.locale());
    Map<String, String> vars = variables(row.templateVariables());
    List<String> used = new ArrayList<>();
    String text = null;
    boolean whatsappContent = false;
    switch (row.channel()) {
      case VOICE -> text = forms.voice();
      case WHATSAPP -> {
        if (forms.whatsappContentSid() != null) {
          whatsappContent = true;
          used.addAll(forms.whatsappVariables().values());
        } else {
          text = forms.sms();
        }
      }
      default -> text = forms.sms();
    }
    if (text == null && !whatsappContent) {
      fail(
          work,
          "TEMPLATE_CHANNEL_MISSING: template '"
              + t.name()
              + "' has no "
              + (row.channel() == Channel.VOICE ? "voice" : "sms")
              + " form for this locale");
      return null;
    }
    if (text != null) {
      used.addAll(MessageTemplate.variablesOf(text));
    }
    List<String> missing = new ArrayList<>();
    for (String v : used) {
      String value = vars.get(v);
      if (value == null) {
        if (!missing.contains(v)) {
          missing.add(v);
        }
        continue;
      }
      // The declared maximum is what validate's worst-case segment count assumed.
      MessageTemplate.Variable decl = t.variables().get(v);
      int len = value.codePointCount(0, value.length());
      if (decl != null && len > decl.maxLength()) {
        fail(
            work,
            "TEMPLATE_VARIABLES_INVALID: '"
                + v
                + "' is "
                + len
                + " characters; template '"
                + t.name()
                + "' declares max-length "
                + decl.maxLength());
        return null;
      }
    }
    if (!missing.isEmpty()) {
      fail(work, "TEMPLATE_VARIABLES_MISSING: " + String.join(", ", missing));
      return null;
    }
    if (whatsappContent) {
      Map<String, String> cv = new LinkedHashMap<>();
      forms.whatsappVariables().forEach((k, v) -> cv.put(k, vars.get(v)));
      try {
        work.setContentSid(forms.whatsappContentSid());
        work.setContentVariables(JSON.writeValueAsString(cv));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
      return null;
    }
    return MessageTemplate.render(text, vars);
  }

  private Optional<String> check(OutboxWork work) {
    OutboxRow row = work.getRow();
    Channel channel = row.channel();
    boolean whatsapp = channel == Channel.WHATSAPP;

    // The row's own fallback chain (docs/outbox.md#channel-fallback), checked before any send.
    if (row.fallbackChain() != null) {
      if (channel == Channel.VERIFY) {
        return Optional.of("FALLBACK_CHAIN_INVALID: a verify row cannot fall back");
      }
      Optional<String> bad = FallbackChain.problem(row.fallbackChain());
      if (bad.isPresent()) {
        return Optional.of("FALLBACK_CHAIN_INVALID: fallback_chain: " + bad.get());
      }
    }

    // Recipient: E.164, with the whatsapp: prefix on WhatsApp and nowhere else.
    String recipient = row.recipient();
    boolean prefixed = recipient != null && recipient.startsWith(WHATSAPP);
    if (prefixed && !whatsapp && channel != Channel.VERIFY) {
      return Optional.of("WHATSAPP_ADDRESS: a whatsapp: recipient needs channel whatsapp");
    }
    String bare = prefixed ? recipient.substring(WHATSAPP.length()) : recipient;
    Optional<PhoneRules.Parsed> to = phones.parse(bare);
    if (to.isEmpty()) {
      return Optional.of(
          "INVALID_RECIPIENT: not a valid phone number (default region "
              + phones.defaultRegion()
              + ")");
    }
    work.setTo(whatsapp ? WHATSAPP + to.get().e164() : to.get().e164(), to.get().region());

    // Sender: a number (E.164), a whatsapp: number, or a Messaging Service.
    if (channel == Channel.VERIFY) {
      if (verifyServiceSid == null) {
        return Optional.of("VERIFY_NOT_CONFIGURED: set outbox.verify.service-sid");
      }
      if (row.body() != null || row.templateName() != null || row.contentSid() != null) {
        return Optional.of("BODY_CONFLICT: a verify row carries no text; Verify writes the OTP");
      }
      return Optional.empty();
    }
    String service = row.messagingServiceSid();
    if (service != null && !SERVICE_SID.matcher(service).matches()) {
      return Optional.of("INVALID_SENDER: messaging_service_sid must be MG + 32 hex digits");
    }
    if (service != null && channel == Channel.VOICE) {
      return Optional.of("INVALID_SENDER: a call needs a sender number, not a Messaging Service");
    }
    work.setMessagingServiceSid(service);
    if (row.sender() == null && service == null) {
      return Optional.of("SENDER_MISSING: set sender or messaging_service_sid");
    }
    if (row.sender() != null) {
      String sender = row.sender();
      boolean senderPrefixed = sender.startsWith(WHATSAPP);
      if (senderPrefixed && !whatsapp) {
        return Optional.of("WHATSAPP_ADDRESS: a whatsapp: sender needs channel whatsapp");
      }
      String senderBare = senderPrefixed ? sender.substring(WHATSAPP.length()) : sender;
      // WhatsApp senders are phone numbers: no alphanumeric sender IDs there.
      Optional<String> from =
          ALPHANUMERIC_SENDER.matcher(senderBare).matches() && channel != Channel.VOICE && !whatsapp
              ? Optional.of(senderBare) // alphanumeric sender ID
              : senderE164(senderBare);
      if (from.isEmpty()) {
        return Optional.of("INVALID_SENDER: sender is not a valid phone number");
      }
      // A bare +1... sender on channel whatsapp gets its whatsapp: prefix, as recipients do.
      work.setFrom(whatsapp ? WHATSAPP + from.get() : from.get());
    }

    // Content: exactly one of body, template, ContentSid (media may go alone on mms).
    int sources =
        (row.body() != null ? 1 : 0)
            + (row.templateName() != null ? 1 : 0)
            + (row.contentSid() != null ? 1 : 0);
    if (sources > 1) {
      return Optional.of("BODY_CONFLICT: set only one of body, template_name, content_sid");
    }
    List<String> media;
    try {
      media = mediaUrls(row.mediaUrls());
    } catch (IllegalArgumentException e) {
      return Optional.of("MEDIA_URLS_INVALID: " + e.getMessage());
    }
    if (!media.isEmpty() && (channel == Channel.VOICE || channel == Channel.SMS)) {
      return Optional.of("MEDIA_NOT_ALLOWED: media needs channel mms or whatsapp");
    }
    if (media.size() > MAX_MEDIA) {
      return Optional.of(
          "MEDIA_TOO_MANY: " + media.size() + " media URLs, Twilio allows " + MAX_MEDIA);
    }
    work.setMediaUrls(media);
    if (row.contentSid() != null) {
      if (!channel.isMessage()) {
        return Optional.of("CONTENT_NOT_ALLOWED: content_sid needs channel sms, mms or whatsapp");
      }
      if (!CONTENT_SID.matcher(row.contentSid()).matches()) {
        return Optional.of("CONTENT_SID_INVALID: content_sid must be HX + 32 hex digits");
      }
      if (row.contentVariables() != null) {
        try {
          JsonNode vars = JSON.readTree(row.contentVariables());
          if (vars == null || !vars.isObject()) {
            return Optional.of("CONTENT_VARIABLES_INVALID: must be a JSON object");
          }
        } catch (JsonProcessingException e) {
          return Optional.of("CONTENT_VARIABLES_INVALID: not JSON");
        }
      }
      work.setContentSid(row.contentSid());
      work.setContentVariables(row.contentVariables());
      return Optional.empty();
    }
    if (row.contentVariables() != null) {
      return Optional.of("CONTENT_VARIABLES_INVALID: content_variables needs content_sid");
    }
    if (row.templateName() != null) {
      // Known if the files declare it or a version was approved (a template removed from the
      // files keeps sending its approved text). Variables are checked against the approved
      // version when rendering.
      if (templates.find(row.templateName()).isEmpty()
          && approved.approved(row.templateName()).isEmpty()) {
        return Optional.of("TEMPLATE_UNKNOWN: no template named '" + row.templateName() + "'");
      }
      try {
        variables(row.templateVariables());
      } catch (IllegalArgumentException e) {
        return Optional.of("TEMPLATE_VARIABLES_INVALID: " + e.getMessage());
      }
      return Optional.empty();
    }
    if (row.body() == null || row.body().isBlank()) {
      if (media.isEmpty() || channel == Channel.VOICE) {
        return Optional.of("BODY_MISSING: set body, template_name or content_sid");
      }
    }
    return Optional.empty();
  }

  /** Template variables: a JSON object of scalar values. */
  static Map<String, String> variables(String json) {
    if (json == null || json.isBlank()) {
      return Map.of();
    }
    try {
      JsonNode node = JSON.readTree(json);
      if (node == null || !node.isObject()) {
        throw new IllegalArgumentException("must be a JSON object");
      }
      Map<String, String> out = new LinkedHashMap<>();
      node.fields()
          .forEachRemaining(
              e -> out.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
      return out;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON");
    }
  }

  /** Media URLs: a JSON array of absolute http(s) URLs. */
  static List<String> mediaUrls(String json) {
    if (json == null || json.isBlank()) {
      return List.of();
    }
    List<String> urls;
    try {
      urls = JSON.readValue(json, new TypeReference<List<String>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("must be a JSON array of URLs");
    }
    for (String u : urls) {
      URI uri;
      try {
        uri = URI.create(u);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("not a URL: " + u);
      }
      if (uri.getScheme() == null
          || !(uri.getScheme().equals("https") || uri.getScheme().equals("http"))
          || uri.getHost() == null) {
        throw new IllegalArgumentException("not an absolute http(s) URL: " + u);
      }
    }
    return List.copyOf(urls);
  }

  private static void fail(OutboxWork work, String problem) {
    int colon = problem.indexOf(':');
    String code = problem.substring(0, colon);
    String reason = problem.substring(colon + 1).trim();
    work.decide(Outcome.failed(code, reason, null));
    work.log("VALIDATE", "INVALID", null, null, null, problem);
  }
}
