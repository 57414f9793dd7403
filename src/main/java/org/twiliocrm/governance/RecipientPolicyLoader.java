package org.twiliocrm.governance;

import static org.twiliocrm.governance.PolicyYaml.isNull;
import static org.twiliocrm.governance.PolicyYaml.line;
import static org.twiliocrm.governance.PolicyYaml.scalar;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads and checks {@code governance/recipients.yaml} on the YAML node tree, so every problem names
 * its line ({@code governance/recipients.yaml:14: purpose 'marketing': frequency-cap.max must be at
 * least 1}). All problems are reported together; any problem means no policy. Checked: unknown
 * keys, channels, countries and purposes; quiet-hour windows that overlap or leave a channel never
 * open; caps and limits of zero; durations and time zones. Format: docs/governance.md.
 */
public final class RecipientPolicyLoader {
  private static final Set<String> TOP =
      Set.of(
          "default-purpose",
          "fallback-time-zone",
          "purposes",
          "geo-permissions",
          "otp-limits",
          "double-opt-in",
          "crm-consent");
  private static final Set<String> CHANNELS = Set.of("sms", "mms", "whatsapp", "voice", "verify");
  private static final Map<String, RecipientPolicy.ConsentRule> RULES =
      Map.of(
          "none", RecipientPolicy.ConsentRule.NONE,
          "no-opt-out", RecipientPolicy.ConsentRule.NO_OPT_OUT,
          "opt-in", RecipientPolicy.ConsentRule.OPT_IN);

  /** Reads and checks the file at {@code location} (path, file:, classpath:). */
  public RecipientPolicy load(String location) {
    return parse(location, PolicyYaml.bytes(location));
  }

  /** A parse in progress: the file's name for messages and the problems found so far. */
  private static final class Ctx {
    final String loc;
    final List<String> problems = new ArrayList<>();

    Ctx(String loc) {
      this.loc = loc;
    }

    void problem(Node n, String msg) {
      problems.add(loc + ":" + line(n) + ": " + msg);
    }
  }

  public RecipientPolicy parse(String location, byte[] bytes) {
    Ctx x = new Ctx(location);
    Optional<Node> root = PolicyYaml.compose(location, bytes);
    String hash = PolicyLoader.sha256(bytes);
    if (root.isEmpty()) {
      return none(location, hash);
    }
    if (!(root.get() instanceof MappingNode top)) {
      throw new PolicyException(List.of(location + ":1: expected a map with 'purposes:'"));
    }
    Node defaultNode = null;
    String defaultPurpose = null;
    ZoneId fallback = ZoneId.of("UTC");
    Map<String, RecipientPolicy.Purpose> purposes = new LinkedHashMap<>();
    Map<String, Set<String>> geo = new LinkedHashMap<>();
    RecipientPolicy.OtpLimits otp = null;
    Node otpNode = null;
    RecipientPolicy.DoubleOptIn doi = null;
    Node doiNode = null;
    List<RecipientPolicy.CrmConsent> crm = new ArrayList<>();
    // Purposes are read first: the other sections refer to them.
    for (NodeTuple t : top.getValue()) {
      if ("purposes".equals(scalar(t.getKeyNode()))) {
        purposes(x, t.getValueNode(), purposes);
      }
    }
    for (NodeTuple t : top.getValue()) {
      String key = scalar(t.getKeyNode());
      Node v = t.getValueNode();
      switch (key == null ? "" : key) {
        case "purposes" -> {}
        case "default-purpose" -> {
          defaultNode = v;
          defaultPurpose = scalar(v);
        }
        case "fallback-time-zone" -> {
          try {
            fallback = ZoneId.of(String.valueOf(scalar(v)));
          } catch (DateTimeException e) {
            x.problem(v, "unknown time zone '" + scalar(v) + "'");
          }
        }
        case "geo-permissions" -> geo(x, v, geo);
        case "otp-limits" -> {
          otpNode = v;
          otp = otp(x, v);
        }
        case "double-opt-in" -> {
          doiNode = v;
          doi = doubleOptIn(x, v);
        }
        case "crm-consent" -> crm(x, v, crm);
        default ->
            x.problem(
                t.getKeyNode(),
                "unknown key '" + key + "' (expected one of " + new TreeSet<>(TOP) + ")");
      }
    }
    if (defaultPurpose == null) {
      defaultPurpose = purposes.containsKey("transactional") ? "transactional" : null;
      if (defaultPurpose == null && !purposes.isEmpty()) {
        x.problem(top, "default-purpose is needed when no purpose is called transactional");
      }
    } else if (!purposes.containsKey(defaultPurpose)) {
      x.problem(defaultNode, "default-purpose: " + unknownPurpose(defaultPurpose, purposes));
    }
    if (otp != null) {
      for (String p : otp.purposes()) {
        if (!purposes.containsKey(p)) {
          x.problem(otpNode, "otp-limits.purposes: " + unknownPurpose(p, purposes));
        }
      }
    }
    if (doi != null) {
      for (String p : doi.purposes()) {
        if (!purposes.containsKey(p)) {
          x.problem(doiNode, "double-opt-in.purposes: " + unknownPurpose(p, purposes));
        }
      }
    }
    for (RecipientPolicy.CrmConsent c : crm) {
      if (!c.purpose().equals(RecipientPolicy.ALL_PURPOSES) && !purposes.containsKey(c.purpose())) {
        x.problems.add(
            location + ":" + c.line() + ": crm-consent: " + unknownPurpose(c.purpose(), purposes));
      }
    }
    if (!x.problems.isEmpty()) {
      throw new PolicyException(x.problems);
    }
    return new RecipientPolicy(
        location,
        hash,
        defaultPurpose,
        Map.copyOf(purposes),
        Map.copyOf(geo),
        otp,
        doi,
        List.copyOf(crm),
        fallback);
  }

  /** No file content: no purposes, nothing checked beyond what the outbox always checks. */
  public static RecipientPolicy none(String location, String hash) {
    return new RecipientPolicy(
        location, hash, null, Map.of(), Map.of(), null, null, List.of(), ZoneId.of("UTC"));
  }

  private static String unknownPurpose(String p, Map<String, ?> purposes) {
    return "unknown purpose '" + p + "' (declared: " + new TreeSet<>(purposes.keySet()) + ")";
  }

  // ---------------------------------------------------------------- purposes

  private static void purposes(Ctx x, Node v, Map<String, RecipientPolicy.Purpose> out) {
    if (!(v instanceof MappingNode m)) {
      x.problem(v, "'purposes' must be a map of purpose name to its rules");
      return;
    }
    for (NodeTuple t : m.getValue()) {
      String name = scalar(t.getKeyNode());
      if (name == null || !name.matches("[a-z][a-z0-9_-]{0,31}")) {
        x.problem(t.getKeyNode(), "a purpose name is lower-case letters, digits, '_' or '-'");
        continue;
      }
      RecipientPolicy.Purpose p = purpose(x, name, t.getKeyNode(), t.getValueNode());
      if (p != null) {
        out.put(name, p);
      }
    }
  }

  private static RecipientPolicy.Purpose purpose(Ctx x, String name, Node key, Node v) {
    String r = "purpose '" + name + "': ";
    Map<String, RecipientPolicy.ConsentRule> consent = new LinkedHashMap<>();
    consent.put("default", RecipientPolicy.ConsentRule.NO_OPT_OUT);
    List<RecipientPolicy.QuietWindow> quiet = new ArrayList<>();
    RecipientPolicy.FrequencyCap cap = null;
    if (v instanceof MappingNode m) {
      for (NodeTuple t : m.getValue()) {
        String k = scalar(t.getKeyNode());
        Node val = t.getValueNode();
        switch (k == null ? "" : k) {
          case "description" -> {}
          case "consent" -> consent(x, r, val, consent);
          case "quiet-hours" -> quiet(x, r, val, quiet);
          case "frequency-cap" -> cap = cap(x, r, val);
          default ->
              x.problem(
                  t.getKeyNode(),
                  r
                      + "unknown key '"
                      + k
                      + "' (expected consent, quiet-hours, frequency-cap, description)");
        }
      }
    } else if (!isNull(v)) {
      x.problem(v, r + "expected a map (consent, quiet-hours, frequency-cap)");
    }
    checkWindows(x, r, quiet);
    return new RecipientPolicy.Purpose(
        name, line(key), Map.copyOf(consent), List.copyOf(quiet), cap);
  }

  private static void consent(
      Ctx x, String r, Node v, Map<String, RecipientPolicy.ConsentRule> out) {
    if (v instanceof ScalarNode) {
      RecipientPolicy.ConsentRule rule = rule(x, r, v);
      if (rule != null) {
        out.put("default", rule);
      }
      return;
    }
    if (!(v instanceof MappingNode m)) {
      x.problem(v, r + "consent is none | no-opt-out | opt-in, or a map of channel to one");
      return;
    }
    for (NodeTuple t : m.getValue()) {
      String ch = scalar(t.getKeyNode());
      if (!"default".equals(ch) && !CHANNELS.contains(ch)) {
        x.problem(t.getKeyNode(), r + "unknown channel '" + ch + "' " + CHANNELS_HINT);
        continue;
      }
      RecipientPolicy.ConsentRule rule = rule(x, r, t.getValueNode());
      if (rule != null) {
        out.put(ch, rule);
      }
    }
  }

  private static final String CHANNELS_HINT = "(expected sms, mms, whatsapp, voice, verify)";

  private static RecipientPolicy.ConsentRule rule(Ctx x, String r, Node v) {
    RecipientPolicy.ConsentRule rule = RULES.get(String.valueOf(scalar(v)));
    if (rule == null) {
      x.problem(v, r + "consent '" + scalar(v) + "' is not one of none, no-opt-out, opt-in");
    }
    return rule;
  }

  private static void quiet(Ctx x, String r, Node v, List<RecipientPolicy.QuietWindow> out) {
    List<Node> items =
        v instanceof SequenceNode s ? s.getValue() : v instanceof MappingNode ? List.of(v) : null;
    if (items == null) {
      x.problem(
          v, r + "quiet-hours is a list of { from: \"21:00\", to: \"08:00\", channel: [..] }");
      return;
    }
    for (Node item : items) {
      if (!(item instanceof MappingNode m)) {
        x.problem(item, r + "a quiet-hours window is a map { from, to, channel }");
        continue;
      }
      LocalTime from = null;
      LocalTime to = null;
      Set<String> channels = Set.of();
      boolean ok = true;
      for (NodeTuple t : m.getValue()) {
        String k = scalar(t.getKeyNode());
        Node val = t.getValueNode();
        switch (k == null ? "" : k) {
          case "from" -> from = time(x, r, val);
          case "to" -> to = time(x, r, val);
          case "channel", "channels" -> {
            channels = channels(x, r, val);
          }
          default -> {
            x.problem(t.getKeyNode(), r + "unknown quiet-hours key '" + k + "'");
            ok = false;
          }
        }
      }
      if (from == null || to == null) {
        x.problem(item, r + "a quiet-hours window needs from and to (HH:mm)");
        continue;
      }
      if (from.equals(to)) {
        x.problem(item, r + "quiet hours " + from + "-" + to + " never open (from equals to)");
        continue;
      }
      if (ok) {
        out.add(new RecipientPolicy.QuietWindow(from, to, channels, line(item)));
      }
    }
  }

  /**
   * Two windows for the same channel may not overlap (which one's end would apply is unclear), and
   * together they must leave each channel open some minute of the day.
   */
  private static void checkWindows(Ctx x, String r, List<RecipientPolicy.QuietWindow> ws) {
    for (int i = 0; i < ws.size(); i++) {
      for (int j = i + 1; j < ws.size(); j++) {
        RecipientPolicy.QuietWindow a = ws.get(i);
        RecipientPolicy.QuietWindow b = ws.get(j);
        boolean shared =
            a.channels().isEmpty()
                || b.channels().isEmpty()
                || a.channels().stream().anyMatch(b.channels()::contains);
        if (shared && minutes(a).intersects(minutes(b))) {
          x.problems.add(
              x.loc
                  + ":"
                  + b.line()
                  + ": "
                  + r
                  + "quiet hours "
                  + b.from()
                  + "-"
                  + b.to()
                  + " overlap "
                  + a.from()
                  + "-"
                  + a.to()
                  + " (line "
                  + a.line()
                  + ")");
        }
      }
    }
    for (String ch : CHANNELS) {
      BitSet all = new BitSet(1440);
      RecipientPolicy.QuietWindow last = null;
      for (RecipientPolicy.QuietWindow w : ws) {
        if (w.channels().isEmpty() || w.channels().contains(ch)) {
          all.or(minutes(w));
          last = w;
        }
      }
      if (last != null && all.cardinality() == 1440) {
        x.problems.add(
            x.loc + ":" + last.line() + ": " + r + "quiet hours never open for channel " + ch);
        return;
      }
    }
  }

  private static BitSet minutes(RecipientPolicy.QuietWindow w) {
    BitSet b = new BitSet(1440);
    int from = w.from().getHour() * 60 + w.from().getMinute();
    int to = w.to().getHour() * 60 + w.to().getMinute();
    if (from < to) {
      b.set(from, to);
    } else {
      b.set(from, 1440);
      b.set(0, to);
    }
    return b;
  }

  private static LocalTime time(Ctx x, String r, Node v) {
    String s = scalar(v);
    try {
      if ("24:00".equals(s)) {
        return LocalTime.MIDNIGHT;
      }
      return LocalTime.parse(String.valueOf(s));
    } catch (DateTimeParseException e) {
      x.problem(v, r + "'" + s + "' is not a time of day (HH:mm)");
      return null;
    }
  }

  private static RecipientPolicy.FrequencyCap cap(Ctx x, String r, Node v) {
    if (!(v instanceof MappingNode m)) {
      x.problem(v, r + "frequency-cap is { max: N, window: 24h, over: hold | fail }");
      return null;
    }
    Integer max = null;
    Duration window = null;
    RecipientPolicy.FrequencyCap.Over over = RecipientPolicy.FrequencyCap.Over.HOLD;
    for (NodeTuple t : m.getValue()) {
      String k = scalar(t.getKeyNode());
      Node val = t.getValueNode();
      switch (k == null ? "" : k) {
        case "max" -> max = positive(x, r + "frequency-cap.max", val);
        case "window" -> window = duration(x, val);
        case "over" -> {
          String o = String.valueOf(scalar(val));
          if (o.equals("hold")) {
            over = RecipientPolicy.FrequencyCap.Over.HOLD;
          } else if (o.equals("fail")) {
            over = RecipientPolicy.FrequencyCap.Over.FAIL;
          } else {
            x.problem(val, r + "frequency-cap.over must be hold or fail");
          }
        }
        default -> x.problem(t.getKeyNode(), r + "unknown frequency-cap key '" + k + "'");
      }
    }
    if (max == null || window == null) {
      if (max == null && !hasKey(m, "max") || window == null && !hasKey(m, "window")) {
        x.problem(v, r + "frequency-cap needs max and window");
      }
      return null;
    }
    return new RecipientPolicy.FrequencyCap(max, window, over);
  }

  // ---------------------------------------------------------------- other sections

  private static void geo(Ctx x, Node v, Map<String, Set<String>> out) {
    if (!(v instanceof MappingNode m)) {
      x.problem(v, "geo-permissions is a map of channel to the countries allowed ([US, CA])");
      return;
    }
    Set<String> known = PhoneNumberUtil.getInstance().getSupportedRegions();
    for (NodeTuple t : m.getValue()) {
      String ch = scalar(t.getKeyNode());
      if (!CHANNELS.contains(ch)) {
        x.problem(t.getKeyNode(), "geo-permissions: unknown channel '" + ch + "' " + CHANNELS_HINT);
        continue;
      }
      Set<String> cs = new LinkedHashSet<>();
      for (String c : list(x, "geo-permissions." + ch, t.getValueNode())) {
        String up = c.toUpperCase(Locale.ROOT);
        if (!known.contains(up)) {
          x.problem(t.getValueNode(), "geo-permissions." + ch + ": unknown country '" + c + "'");
        }
        cs.add(up);
      }
      out.put(ch, Set.copyOf(cs));
    }
  }

  private static RecipientPolicy.OtpLimits otp(Ctx x, Node v) {
    if (!(v instanceof MappingNode m)) {
      x.problem(v, "otp-limits is a map: purposes, per-number, per-prefix");
      return null;
    }
    Set<String> purposes = Set.of();
    RecipientPolicy.Limit perNumber = null;
    RecipientPolicy.Limit perPrefix = null;
    int digits = 0;
    for (NodeTuple t : m.getValue()) {
      String k = scalar(t.getKeyNode());
      Node val = t.getValueNode();
      switch (k == null ? "" : k) {
        case "purposes" -> purposes = list(x, "otp-limits.purposes", val);
        case "per-number" -> perNumber = limit(x, "otp-limits.per-number", val, null);
        case "per-prefix" -> {
          int[] d = new int[1];
          perPrefix = limit(x, "otp-limits.per-prefix", val, d);
          digits = d[0];
        }
        default -> x.problem(t.getKeyNode(), "otp-limits: unknown key '" + k + "'");
      }
    }
    return new RecipientPolicy.OtpLimits(Set.copyOf(purposes), perNumber, perPrefix, digits);
  }

  private static RecipientPolicy.Limit limit(Ctx x, String what, Node v, int[] digits) {
    if (!(v instanceof MappingNode m)) {
      x.problem(v, what + " is { max: N, window: 1h" + (digits != null ? ", digits: 8 }" : " }"));
      return null;
    }
    Integer max = null;
    Duration window = null;
    for (NodeTuple t : m.getValue()) {
      String k = scalar(t.getKeyNode());
      Node val = t.getValueNode();
      switch (k == null ? "" : k) {
        case "max" -> max = positive(x, what + ".max", val);
        case "window" -> window = duration(x, val);
        case "digits" -> {
          if (digits == null) {
            x.problem(t.getKeyNode(), what + ": unknown key 'digits'");
          } else {
            Integer d = positive(x, what + ".digits", val);
            if (d != null && (d < 2 || d > 14)) {
              x.problem(val, what + ".digits must be 2..14 (leading digits of the E.164 number)");
            }
            digits[0] = d == null ? 0 : d;
          }
        }
        default -> x.problem(t.getKeyNode(), what + ": unknown key '" + k + "'");
      }
    }
    if (digits != null && digits[0] == 0 && !hasKey(m, "digits")) {
      x.problem(v, what + " needs digits");
    }
    if (max == null || window == null) {
      if (!hasKey(m, "max") || !hasKey(m, "window")) {
        x.problem(v, what + " needs max and window");
      }
      return null;
    }
    return new RecipientPolicy.Limit(max, window);
  }

  private static RecipientPolicy.DoubleOptIn doubleOptIn(Ctx x, Node v) {
    if (!(v instanceof MappingNode m)) {
      x.problem(v, "double-opt-in is a map: purposes, window, prompt, channel");
      return null;
    }
    Set<String> purposes = Set.of();
    Duration window = null;
    String prompt = null;
    String channel = "sms";
    String sender = null;
    for (NodeTuple t : m.getValue()) {
      String k = scalar(t.getKeyNode());
      Node val = t.getValueNode();
      switch (k == null ? "" : k) {
        case "purposes" -> purposes = list(x, "double-opt-in.purposes", val);
        case "window" -> window = duration(x, val);
        case "prompt" -> prompt = scalar(val);
        case "sender" -> {
          sender = scalar(val);
          if (sender == null || !sender.matches("\\+[1-9][0-9]{6,14}|MG[0-9a-fA-F]{32}")) {
            x.problem(
                val, "double-opt-in.sender must be an E.164 number or a Messaging Service SID");
          }
        }
        case "channel" -> {
          channel = scalar(val);
          if (!"sms".equals(channel) && !"whatsapp".equals(channel)) {
            x.problem(val, "double-opt-in.channel must be sms or whatsapp");
          }
        }
        default -> x.problem(t.getKeyNode(), "double-opt-in: unknown key '" + k + "'");
      }
    }
    if (window == null || prompt == null || prompt.isBlank() || sender == null) {
      x.problem(v, "double-opt-in needs window, prompt and sender");
      return null;
    }
    return new RecipientPolicy.DoubleOptIn(Set.copyOf(purposes), window, prompt, channel, sender);
  }

  private static void crm(Ctx x, Node v, List<RecipientPolicy.CrmConsent> out) {
    if (!(v instanceof SequenceNode s)) {
      x.problem(v, "crm-consent is a list of { object, field, opt-out-when, phone-fields }");
      return;
    }
    Set<String> seen = new LinkedHashSet<>();
    for (Node item : s.getValue()) {
      if (!(item instanceof MappingNode m)) {
        x.problem(item, "crm-consent: each entry is a map");
        continue;
      }
      Map<String, String> vals = new LinkedHashMap<>();
      List<String> phones = List.of();
      for (NodeTuple t : m.getValue()) {
        String k = scalar(t.getKeyNode());
        switch (k == null ? "" : k) {
          case "object", "field", "opt-out-when", "opt-in-when", "purpose" ->
              vals.put(k, scalar(t.getValueNode()));
          case "phone-fields" ->
              phones = List.copyOf(list(x, "crm-consent.phone-fields", t.getValueNode()));
          default -> x.problem(t.getKeyNode(), "crm-consent: unknown key '" + k + "'");
        }
      }
      String object = vals.get("object");
      String field = vals.get("field");
      String api = "[A-Za-z][A-Za-z0-9_]{0,79}";
      if (object == null || !object.matches(api) || field == null || !field.matches(api)) {
        x.problem(item, "crm-consent: object and field must be API names");
        continue;
      }
      if (phones.isEmpty()) {
        x.problem(item, "crm-consent: phone-fields names where the number is (e.g. MobilePhone)");
        continue;
      }
      for (String p : phones) {
        if (!p.matches(api)) {
          x.problem(item, "crm-consent: '" + p + "' is not a field API name");
        }
      }
      if (!seen.add(object + "." + field)) {
        x.problem(item, "crm-consent: " + object + "." + field + " listed twice");
      }
      out.add(
          new RecipientPolicy.CrmConsent(
              object,
              field,
              vals.getOrDefault("opt-out-when", "true"),
              vals.get("opt-in-when"),
              phones,
              vals.getOrDefault("purpose", RecipientPolicy.ALL_PURPOSES),
              line(item)));
    }
  }

  // ---------------------------------------------------------------- helpers

  private static Set<String> channels(Ctx x, String r, Node v) {
    Set<String> out = new LinkedHashSet<>();
    for (String c : list(x, r + "channel", v)) {
      String lc = c.toLowerCase(Locale.ROOT);
      if (!CHANNELS.contains(lc)) {
        x.problem(v, r + "unknown channel '" + c + "' " + CHANNELS_HINT);
      }
      out.add(lc);
    }
    return Set.copyOf(out);
  }

  private static Integer positive(Ctx x, String what, Node v) {
    String s = scalar(v);
    try {
      int n = Integer.parseInt(String.valueOf(s).trim());
      if (n < 1) {
        x.problem(v, what + " must be at least 1 (a cap of " + n + " would never send)");
        return null;
      }
      return n;
    } catch (NumberFormatException e) {
      x.problem(v, what + " must be a whole number");
      return null;
    }
  }

  private static Duration duration(Ctx x, Node v) {
    Duration d = PolicyYaml.positiveDuration(v);
    if (d == null) {
      x.problem(v, "'" + scalar(v) + "' is not a positive duration (e.g. 30m, 24h, PT1H)");
    }
    return d;
  }

  private static Set<String> list(Ctx x, String what, Node v) {
    return PolicyYaml.list(v, (n, problem) -> x.problem(n, what + ": " + problem));
  }

  private static boolean hasKey(MappingNode m, String key) {
    return m.getValue().stream().anyMatch(t -> key.equals(scalar(t.getKeyNode())));
  }
}
