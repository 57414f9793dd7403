package org.twiliocrm.governance.templates;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One message template as an engineer declares it in {@code templates/*.yaml}: a name, a purpose,
 * the variables with their maximum lengths, and per locale the form each channel uses (an SMS/MMS
 * body, a WhatsApp ContentSid with its variable mapping, the text a call speaks).
 *
 * <p>Its {@link #version()} is the SHA-256 of {@link #normalized()}: a canonical JSON rendering
 * with sorted keys, so comments, quoting, indentation and key order in the YAML do not make a new
 * version, and any change to what could be sent does. The same JSON is what the database stores as
 * the approved text ({@link #fromNormalized}), so a send uses exactly what the approver saw.
 */
public record MessageTemplate(
    String name,
    String purpose,
    String defaultLocale,
    Integer maxSegments,
    Map<String, Variable> variables,
    Map<String, Forms> locales,
    List<String> fallback) {

  /**
   * @param fallback the channel fallback chain ({@code whatsapp, sms, voice}) for rows that name no
   *     chain of their own; empty for none (see {@link org.twiliocrm.governance.FallbackChain})
   */
  public MessageTemplate {
    fallback = fallback == null ? List.of() : List.copyOf(fallback);
  }

  /** A template without a fallback chain. */
  public MessageTemplate(
      String name,
      String purpose,
      String defaultLocale,
      Integer maxSegments,
      Map<String, Variable> variables,
      Map<String, Forms> locales) {
    this(name, purpose, defaultLocale, maxSegments, variables, locales, List.of());
  }

  /** The purposes a template may declare. */
  public static final Set<String> PURPOSES = Set.of("transactional", "marketing", "otp");

  static final Pattern VAR = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_.-]+)\\s*}}");

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  /**
   * A declared variable.
   *
   * @param maxLength the longest value a producer may give, in characters (for the worst-case
   *     segment count)
   * @param gsm7 whether every value is known to be GSM-7 text (digits, dates, ASCII names); when
   *     false a value may force the whole SMS into UCS-2
   */
  public record Variable(String name, int maxLength, boolean gsm7) {}

  /**
   * One locale's channel forms; any may be null.
   *
   * @param whatsappVariables Twilio ContentVariables key ("1", "2", ...) to template variable name
   */
  public record Forms(
      String sms, String voice, String whatsappContentSid, Map<String, String> whatsappVariables) {}

  /** The variables a text uses, in order of first use. */
  public static Set<String> variablesOf(String text) {
    Set<String> vars = new LinkedHashSet<>();
    if (text == null) {
      return vars;
    }
    Matcher m = VAR.matcher(text);
    while (m.find()) {
      vars.add(m.group(1));
    }
    return vars;
  }

  /** Every variable any form of any locale uses. */
  public Set<String> usedVariables() {
    Set<String> used = new LinkedHashSet<>();
    for (Forms f : locales.values()) {
      used.addAll(variablesOf(f.sms()));
      used.addAll(variablesOf(f.voice()));
      if (f.whatsappVariables() != null) {
        used.addAll(f.whatsappVariables().values());
      }
    }
    return used;
  }

  /**
   * The locale variant for a requested locale: exact match, then its language ({@code es-MX} →
   * {@code es}), then the template's default locale.
   */
  public Forms forms(String locale) {
    if (locale != null && !locale.isBlank()) {
      Forms exact = locales.get(locale);
      if (exact != null) {
        return exact;
      }
      int dash = locale.indexOf('-') >= 0 ? locale.indexOf('-') : locale.indexOf('_');
      if (dash > 0) {
        Forms language = locales.get(locale.substring(0, dash));
        if (language != null) {
          return language;
        }
      }
    }
    return locales.get(defaultLocale);
  }

  /** Replaces each {@code {{variable}}} with its value (missing values were rejected earlier). */
  public static String render(String text, Map<String, String> values) {
    Matcher m = VAR.matcher(text);
    StringBuilder out = new StringBuilder(text.length() + 32);
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(values.getOrDefault(m.group(1), "")));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Canonical JSON of everything that could be sent: the stored, approved text. */
  public String normalized() {
    Map<String, Object> doc = new TreeMap<>();
    doc.put("name", name);
    doc.put("purpose", purpose);
    doc.put("default-locale", defaultLocale);
    if (maxSegments != null) {
      doc.put("max-segments", maxSegments);
    }
    Map<String, Object> vars = new TreeMap<>();
    variables.forEach((n, v) -> vars.put(n, Map.of("max-length", v.maxLength(), "gsm7", v.gsm7())));
    doc.put("variables", vars);
    Map<String, Object> locs = new TreeMap<>();
    locales.forEach(
        (loc, f) -> {
          Map<String, Object> forms = new TreeMap<>();
          if (f.sms() != null) {
            forms.put("sms", f.sms());
          }
          if (f.voice() != null) {
            forms.put("voice", f.voice());
          }
          if (f.whatsappContentSid() != null) {
            Map<String, Object> wa = new TreeMap<>();
            wa.put("content-sid", f.whatsappContentSid());
            wa.put(
                "variables",
                new TreeMap<>(f.whatsappVariables() == null ? Map.of() : f.whatsappVariables()));
            forms.put("whatsapp", wa);
          }
          locs.put(loc, forms);
        });
    doc.put("locales", locs);
    // Only when declared, so templates without one keep the versions they had.
    if (!fallback.isEmpty()) {
      doc.put("fallback", fallback);
    }
    try {
      return JSON.writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The version: hex SHA-256 of {@link #normalized()}. */
  public String version() {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256")
              .digest(normalized().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The template back from its stored normalized JSON (an approved version's text). */
  public static MessageTemplate fromNormalized(String json) {
    try {
      JsonNode n = JSON.readTree(json);
      Map<String, Variable> vars = new LinkedHashMap<>();
      n.path("variables")
          .fields()
          .forEachRemaining(
              e ->
                  vars.put(
                      e.getKey(),
                      new Variable(
                          e.getKey(),
                          e.getValue().path("max-length").asInt(),
                          e.getValue().path("gsm7").asBoolean())));
      Map<String, Forms> locs = new LinkedHashMap<>();
      n.path("locales")
          .fields()
          .forEachRemaining(
              e -> {
                JsonNode f = e.getValue();
                JsonNode wa = f.get("whatsapp");
                Map<String, String> waVars = null;
                if (wa != null) {
                  Map<String, String> m = new LinkedHashMap<>();
                  wa.path("variables")
                      .fields()
                      .forEachRemaining(v -> m.put(v.getKey(), v.getValue().asText()));
                  waVars = m;
                }
                locs.put(
                    e.getKey(),
                    new Forms(
                        text(f, "sms"),
                        text(f, "voice"),
                        wa == null ? null : text(wa, "content-sid"),
                        waVars));
              });
      JsonNode max = n.get("max-segments");
      List<String> fallback = new java.util.ArrayList<>();
      n.path("fallback").forEach(c -> fallback.add(c.asText()));
      return new MessageTemplate(
          n.path("name").asText(),
          n.path("purpose").asText(),
          n.path("default-locale").asText(),
          max == null || max.isNull() ? null : max.asInt(),
          Map.copyOf(vars),
          Map.copyOf(locs),
          fallback);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("stored template text is not JSON", e);
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** The variable names, for callers that only need to know what a row must give. */
  public Optional<Variable> variable(String name) {
    return Optional.ofNullable(variables.get(name));
  }
}
