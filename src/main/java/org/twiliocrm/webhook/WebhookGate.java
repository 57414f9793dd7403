package org.twiliocrm.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.twiliocrm.http.Forms;
import org.twiliocrm.twilio.TwilioRegion;
import org.twiliocrm.twilio.TwilioSignature;

/**
 * First step of every Twilio webhook: size, shape and X-Twilio-Signature. Sets the exchange
 * property {@link #STATUS} to the HTTP status the request earns (200 when accepted) and, when
 * accepted, {@link #EVENT} to the parsed {@link WebhookEvent}. It never throws for bad input: a
 * rejection is an answer, not an error, and is counted in the metrics.
 *
 * <p>The URL checked is the public one Twilio called: {@code connector.public-url} plus the path
 * and query as received, or scheme and host from X-Forwarded-Proto/Host when those are trusted. The
 * signature check itself is {@link TwilioSignature}, shared with the sandbox and pinned to the
 * golden vectors.
 */
public final class WebhookGate implements Processor {
  public static final String STATUS = "twilioWebhookStatus";
  public static final String EVENT = "twilioWebhookEvent";
  public static final String REASON = "twilioWebhookReason";

  /** Exchange property the kamelet sets to the endpoint kind before this step. */
  public static final String KIND = "twilioWebhookKind";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final WebhookSettings settings;
  private final WebhookMetrics metrics;
  private final RejectionLog log;
  private final FormHandoff forms;

  /** AccountSid -> every token that signs for it (primary, then rotation tokens). */
  private final Map<String, List<TwilioSignature>> byAccount = new TreeMap<>();

  /** SharedKey id -> its HMAC-SHA256 signer (Webhooks Rules). */
  private final Map<String, TwilioSignature> byKey = new TreeMap<>();

  /** Twilio Region -> the signer of its auth token (twilio.region-auth-tokens). */
  private final Map<String, TwilioSignature> byRegion = new TreeMap<>();

  public WebhookGate(WebhookSettings settings, WebhookMetrics metrics) {
    this(settings, metrics, new RejectionLog(30));
  }

  public WebhookGate(WebhookSettings settings, WebhookMetrics metrics, RejectionLog log) {
    this(settings, metrics, log, new FormHandoff());
  }

  /** With the hand-off the webhook edge fills with each form it decoded. */
  public WebhookGate(
      WebhookSettings settings, WebhookMetrics metrics, RejectionLog log, FormHandoff forms) {
    this.forms = forms;
    this.settings = settings;
    this.metrics = metrics;
    this.log = log;
    for (String sid : settings.authTokens().keySet()) {
      List<TwilioSignature> signers = new ArrayList<>();
      settings.tokensOf(sid).forEach(t -> signers.add(new TwilioSignature(t)));
      byAccount.put(sid, List.copyOf(signers));
    }
    settings.regionAuthTokens().forEach((r, t) -> byRegion.put(r, new TwilioSignature(t)));
    settings
        .signingKeys()
        .forEach(
            (id, secret) ->
                byKey.put(id, new TwilioSignature(secret, TwilioSignature.Algorithm.HMAC_SHA256)));
  }

  /**
   * Route step ({@code process: ref: twilioWebhookGate}): checks the request of the kind in {@link
   * #KIND}. A plain processor rather than a bean call with simple-language arguments, which cost a
   * parse and bind on every request of the hottest route.
   */
  @Override
  public void process(Exchange exchange) {
    check(exchange, exchange.getProperty(KIND, String.class));
  }

  /**
   * Kamelet step in the catch of its doTry: an exception anywhere in the webhook route answers 500
   * "internal-error", counted and logged as one line with the exception's class name only (its
   * message may quote the request), instead of Camel's multi-line stack trace.
   */
  public void failed(Exchange exchange) {
    Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
    String kind = exchange.getProperty(KIND, String.class);
    exchange.setProperty(STATUS, 500);
    exchange.setProperty(REASON, "internal-error");
    metrics.rejected(kind, "internal-error");
    log.rejected(500, "internal-error", kind, e == null ? null : e.getClass().getName());
  }

  /** Checks the request of the given endpoint kind. */
  public void check(Exchange exchange, String kind) {
    metrics.bind(exchange.getContext());
    Message in = exchange.getMessage();
    String reason = reject(exchange, in, kind);
    if (reason != null) {
      metrics.rejected(kind, reason);
      exchange.setProperty(REASON, reason);
      log.rejected(exchange.getProperty(STATUS, 400, Integer.class), reason, kind, null);
    } else {
      exchange.setProperty(STATUS, 200);
    }
  }

  /** Returns the rejection reason (and sets STATUS), or null when accepted. */
  private String reject(Exchange exchange, Message in, String kind) {
    Long length = in.getHeader("Content-Length", Long.class);
    if (length != null && length > settings.maxBodyBytes()) {
      return status(exchange, 413, "too-large");
    }
    String contentType = lower(in.getHeader(Exchange.CONTENT_TYPE, String.class));
    if (contentType.startsWith("multipart/")) {
      // Twilio posts forms url-encoded or JSON, never multipart; uploads are off on the server.
      return status(exchange, 415, "unsupported-media-type");
    }
    String url = signedUrl(in);
    String signature = in.getHeader("X-Twilio-Signature", String.class);
    Map<String, List<String>> params;
    String payload;
    boolean json = contentType.startsWith("application/json");
    String rawJson = null;
    if (json) {
      rawJson = in.getBody(String.class);
      if (rawJson == null || rawJson.length() > settings.maxBodyBytes()) {
        return status(
            exchange, rawJson == null ? 400 : 413, rawJson == null ? "malformed" : "too-large");
      }
      params = new TreeMap<>();
      try {
        JsonNode node = JSON.readTree(rawJson);
        if (node == null || !node.isObject()) {
          return status(exchange, 400, "malformed");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          params.put(
              e.getKey(),
              List.of(e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        }
      } catch (Exception e) {
        return status(exchange, 400, "malformed");
      }
      payload = rawJson;
    } else {
      // Decoded by the webhook edge (see FormHandoff); else as Camel passed it on: a map of the
      // form attributes, or the raw body (a request the edge did not read, e.g. during startup).
      Map<String, List<String>> handed =
          in instanceof HttpMessage http ? forms.take(http.getRequest()) : null;
      Object body = handed == null ? in.getBody() : null;
      if (handed != null) {
        params = handed;
      } else if (body instanceof Map<?, ?> form) {
        params = fromMap(form);
      } else {
        String raw = in.getBody(String.class);
        if (raw != null && raw.length() > settings.maxBodyBytes()) {
          return status(exchange, 413, "too-large");
        }
        if (raw != null
            && !raw.isEmpty()
            && !contentType.startsWith("application/x-www-form-urlencoded")) {
          return status(exchange, 400, "malformed");
        }
        try {
          params = decodeForm(raw);
        } catch (IllegalArgumentException e) {
          return status(exchange, 400, "malformed");
        }
      }
      payload = encodeForm(params);
      if (payload.length() > settings.maxBodyBytes()) {
        return status(exchange, 413, "too-large");
      }
    }
    if (signature == null || signature.isBlank()) {
      return status(exchange, 403, "unsigned");
    }
    String account = first(params, "AccountSid");
    String settingsHeader = in.getHeader(TwilioSignature.SETTINGS_HEADER, String.class);
    Collection<TwilioSignature> signers;
    if (settingsHeader != null) {
      // A Webhooks Rule signed this with a SharedKey: check it with that key and that algorithm
      // only, never fall back to the auth token (a header naming an unknown key or algorithm is
      // an attempt to pick a weaker check).
      TwilioSignature.Settings announced = TwilioSignature.Settings.parse(settingsHeader);
      if (TwilioSignature.Algorithm.named(announced.algorithm())
          != TwilioSignature.Algorithm.HMAC_SHA256) {
        return status(exchange, 403, "unknown-algorithm");
      }
      TwilioSignature keyed = announced.key() == null ? null : byKey.get(announced.key());
      if (keyed == null) {
        return status(exchange, 403, "unknown-key");
      }
      signers = List.of(keyed);
    } else {
      // The region whose token signed: the ?region= the connector put in its callback URLs, else
      // twilio.region. Twilio issues each region its own token, so a US-signed callback to an
      // ie1 URL is refused like any bad signature.
      String region = queryParameter(in, TwilioRegion.QUERY_PARAMETER);
      if (region == null) {
        region = settings.region();
      } else if (!settings.knowsRegion(region)) {
        return status(exchange, 403, "unknown-region");
      }
      signers = signersOf(account, region);
    }
    if (!signatureValid(signers, url, params, json ? rawJson : null, signature)) {
      return status(exchange, 403, "bad-signature");
    }
    WebhookEvent event =
        event(
            kind,
            account,
            in.getHeader("I-Twilio-Idempotency-Token", String.class),
            params,
            payload);
    if (event == null) {
      return status(exchange, 400, "malformed");
    }
    exchange.setProperty(EVENT, event);
    return null;
  }

  /**
   * The signers of an account in a region: outside us1, the region's token when one is configured
   * (it belongs to twilio.account-sid only); otherwise the account's tokens.
   */
  private Collection<TwilioSignature> signersOf(String account, String region) {
    TwilioSignature regional = TwilioRegion.DEFAULT.equals(region) ? null : byRegion.get(region);
    if (regional == null) {
      return signersOf(account);
    }
    return account == null || account.equals(settings.regionAccount())
        ? List.of(regional)
        : List.of();
  }

  /** A query parameter of the request as received (percent-decoded), or null. */
  static String queryParameter(Message in, String name) {
    String q = in.getHeader(Exchange.HTTP_RAW_QUERY, String.class);
    if (q == null) {
      q = in.getHeader(Exchange.HTTP_QUERY, String.class);
    }
    if (q == null || q.isEmpty()) {
      String uri = in.getHeader(Exchange.HTTP_URI, String.class);
      int mark = uri == null ? -1 : uri.indexOf('?');
      if (mark < 0) {
        return null;
      }
      q = uri.substring(mark + 1);
    }
    for (String pair : q.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      if (k.equals(name)) {
        String v = eq < 0 ? "" : pair.substring(eq + 1);
        try {
          return java.net.URLDecoder.decode(v, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return v;
        }
      }
    }
    return null;
  }

  /** The auth-token signers of an account; all accounts' when the request names none. */
  private Collection<TwilioSignature> signersOf(String account) {
    if (account == null) {
      // No AccountSid in the request (a JSON body or a bare GET): any configured account may sign.
      List<TwilioSignature> all = new ArrayList<>();
      byAccount.values().forEach(all::addAll);
      return all;
    }
    return byAccount.getOrDefault(account, List.of());
  }

  /**
   * Tries every signer against the URL as received and, when connection overrides are configured,
   * the same URL with them as its fragment. Whether Twilio signs the URL with or without the
   * fragment is not settled in Twilio's documentation (the fragment never reaches this server, so
   * it cannot be read from the request): both forms are accepted, and docs/webhooks.md says so.
   */
  private boolean signatureValid(
      Collection<TwilioSignature> signers,
      String url,
      Map<String, List<String>> params,
      String rawJson,
      String signature) {
    List<String> urls = new ArrayList<>(2);
    urls.add(url);
    String withFragment = settings.withOverrides(url);
    if (!withFragment.equals(url)) {
      urls.add(withFragment);
    }
    boolean ok = false;
    for (TwilioSignature s : signers) {
      for (String u : urls) {
        // Non-short-circuit OR: every candidate is tried so timing does not reveal which matched.
        ok |=
            rawJson != null
                ? s.validateJson(u, rawJson, signature)
                : s.validate(u, params, signature);
      }
    }
    return ok;
  }

  /** Builds the event with its dedupe key; null when a required parameter is missing. */
  static WebhookEvent event(
      String kind, String account, String token, Map<String, List<String>> params, String payload) {
    String sid;
    String status;
    String key;
    switch (kind) {
      case "message-status":
        sid = first(params, "MessageSid", first(params, "SmsSid", null));
        status = first(params, "MessageStatus", first(params, "SmsStatus", null));
        if (sid == null || status == null) {
          return null;
        }
        status = status.toLowerCase(Locale.ROOT);
        // WhatsApp read receipts come as EventType=READ.
        if ("READ".equalsIgnoreCase(first(params, "EventType", null))) {
          status = "read";
        }
        key = "ms:" + sid + ":" + status;
        break;
      case "inbound":
        sid = first(params, "MessageSid", first(params, "SmsSid", null));
        status = "received";
        if (sid == null
            || first(params, "From", null) == null
            || first(params, "To", null) == null) {
          return null;
        }
        key = "in:" + sid;
        break;
      case "call-status":
        sid = first(params, "CallSid", null);
        status = first(params, "CallStatus", null);
        if (sid == null || status == null) {
          return null;
        }
        status = status.toLowerCase(Locale.ROOT);
        key = "cs:" + sid + ":" + status;
        break;
      case "twiml":
        sid = first(params, "CallSid", null);
        status = null;
        key = token != null ? "tok:" + token : "twiml:" + sid;
        break;
      default:
        throw new IllegalArgumentException("unknown webhook kind '" + kind + "'");
    }
    return new WebhookEvent(kind, key, sid, status, account, token, params, payload, Instant.now());
  }

  /** The URL Twilio called: public URL (or trusted forwarded scheme/host) + path and query. */
  String signedUrl(Message in) {
    String uri = in.getHeader(Exchange.HTTP_URI, String.class);
    if (uri == null) {
      uri = in.getHeader(Exchange.HTTP_PATH, "/", String.class);
    }
    if (uri.indexOf('?') < 0) {
      String q = in.getHeader(Exchange.HTTP_RAW_QUERY, String.class);
      if (q == null) {
        q = in.getHeader(Exchange.HTTP_QUERY, String.class);
      }
      if (q != null && !q.isEmpty()) {
        uri = uri + "?" + q;
      }
    }
    if (settings.trustForwardedHeaders()) {
      String proto = firstValue(in.getHeader("X-Forwarded-Proto", String.class));
      String host = firstValue(in.getHeader("X-Forwarded-Host", String.class));
      if (proto != null || host != null) {
        String base = settings.publicUrl();
        int sep = base.indexOf("://");
        String scheme = proto != null ? proto : base.substring(0, sep);
        String rest = base.substring(sep + 3);
        int slash = rest.indexOf('/');
        String authority = host != null ? host : (slash < 0 ? rest : rest.substring(0, slash));
        String prefix = slash < 0 ? "" : rest.substring(slash);
        return scheme + "://" + authority + prefix + uri;
      }
    }
    return settings.publicUrl() + uri;
  }

  private static String firstValue(String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    int comma = header.indexOf(',');
    return (comma < 0 ? header : header.substring(0, comma)).trim();
  }

  private static String status(Exchange exchange, int code, String reason) {
    exchange.setProperty(STATUS, code);
    return reason;
  }

  private static String lower(String s) {
    return s == null ? "" : s.toLowerCase(Locale.ROOT);
  }

  static String first(Map<String, List<String>> params, String name, String def) {
    List<String> v = params.get(name);
    return v == null || v.isEmpty() ? def : v.get(0);
  }

  private static String first(Map<String, List<String>> params, String name) {
    return first(params, name, null);
  }

  private static Map<String, List<String>> fromMap(Map<?, ?> form) {
    Map<String, List<String>> out = new TreeMap<>();
    form.forEach(
        (k, v) -> {
          List<String> values = new ArrayList<>();
          if (v instanceof Collection<?> c) {
            c.forEach(x -> values.add(x == null ? "" : x.toString()));
          } else {
            values.add(v == null ? "" : v.toString());
          }
          out.put(String.valueOf(k), values);
        });
    return out;
  }

  static Map<String, List<String>> decodeForm(String raw) {
    return Forms.decode(raw);
  }

  static String encodeForm(Map<String, List<String>> params) {
    return Forms.encode(params);
  }
}
