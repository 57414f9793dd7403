package org.twiliocrm.governance.templates;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import org.twiliocrm.config.Finding;
import org.twiliocrm.governance.Channel;
import org.twiliocrm.governance.FallbackChain;
import org.twiliocrm.governance.SegmentCounter;

/**
 * Reads and checks the template files: every {@code *.yaml} in the templates directory (a mounted
 * ConfigMap, or the project's own {@code templates/}), else the copy packaged in the jar. Each
 * problem is a {@link Finding} with file and line, for {@code validate}, for start-up (which
 * refuses to start on any) and for the running connector's reload (which keeps the last good set).
 *
 * <p>Checks: YAML syntax and shape; purpose; every {@code {{variable}}} declared; every declared
 * variable used; the default locale present; WhatsApp mappings naming declared variables; and the
 * worst-case SMS segment count with every variable at its declared maximum length (GSM-7 if the
 * text and all its variables are GSM-7, else UCS-2) against the template's {@code max-segments} and
 * Twilio's 1,600 characters.
 */
public final class TemplateFiles {
  /** Twilio's limit on a message body, in characters. */
  static final int MAX_BODY_CHARS = 1600;

  private static final Set<String> TEMPLATE_KEYS =
      Set.of("purpose", "default-locale", "max-segments", "variables", "locales", "fallback");
  private static final Set<String> FORM_KEYS = Set.of("sms", "voice", "whatsapp");

  /** One file's text and the name findings use for it. */
  public record Source(Path path, String text) {}

  /**
   * The outcome of reading a set of files.
   *
   * @param templates the templates by name; empty when {@code errors} is not
   * @param sources where each template is declared, {@code file:line}
   * @param notes one line per SMS form with its worst-case segment count (validate prints them)
   * @param fingerprint a hash of the files' names and text, to notice an edit cheaply
   */
  public record Loaded(
      Map<String, MessageTemplate> templates,
      Map<String, String> sources,
      List<Finding> errors,
      List<String> notes,
      String description,
      String fingerprint) {
    public boolean ok() {
      return errors.isEmpty();
    }

    /** Every error on one line each, for an exception message or a health check. */
    public String errorText() {
      StringBuilder sb = new StringBuilder();
      errors.forEach(f -> sb.append(sb.length() == 0 ? "" : "\n").append(f));
      return sb.toString();
    }
  }

  /**
   * Packaged templates by the jar URL of their directory. The reload tick (every
   * templates.reload-interval, 2 s) used to list every entry of the fat jar (52,000) to find them:
   * 14% of all allocation and a steady background CPU cost in the whole-loop profile
   * (docs/performance.md). A jar's entries do not change while the class loader that opened it
   * serves it, so one listing is enough; directories (dev, tests, ConfigMaps) are read every time.
   */
  private static final Map<String, List<Source>> PACKAGED = new ConcurrentHashMap<>();

  /** How many times a jar was listed, for the test that proves the listing is done once. */
  static final AtomicInteger JAR_LISTINGS = new AtomicInteger();

  private TemplateFiles() {}

  /**
   * Reads {@code location}: a directory (its *.yaml files), a single file, or {@code
   * classpath:dir}. A path that does not exist falls back to the packaged {@code
   * classpath:templates}, as routes do.
   */
  public static Loaded load(String location, String defaultLocale) {
    List<Source> sources = new ArrayList<>();
    String description = read(location, sources);
    return check(sources, defaultLocale, description);
  }

  static String read(String location, List<Source> out) {
    try {
      if (location.startsWith("classpath:")) {
        readClasspath(location.substring("classpath:".length()), out);
        return location;
      }
      Path p = Path.of(location.startsWith("file:") ? location.substring(5) : location);
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          for (Path f :
              s.filter(
                      x -> {
                        String n = x.getFileName().toString();
                        // Kubernetes ConfigMap mounts add ..data links and dot-files: skip them.
                        return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml"));
                      })
                  .sorted()
                  .toList()) {
            out.add(new Source(f, Files.readString(f, StandardCharsets.UTF_8)));
          }
        }
        return p.toAbsolutePath().normalize().toString();
      }
      if (Files.isRegularFile(p)) {
        out.add(new Source(p, Files.readString(p, StandardCharsets.UTF_8)));
        return p.toAbsolutePath().normalize().toString();
      }
      readClasspath("templates", out);
      return "packaged templates (no directory " + p.toAbsolutePath().normalize() + ")";
    } catch (IOException e) {
      throw new UncheckedIOException("templates: cannot read " + location, e);
    }
  }

  private static void readClasspath(String dir, List<Source> out) throws IOException {
    readClasspath(TemplateFiles.class.getClassLoader(), dir, out);
  }

  static void readClasspath(ClassLoader cl, String dir, List<Source> out) throws IOException {
    String prefix = dir.endsWith("/") ? dir : dir + "/";
    URL url = cl.getResource(prefix);
    if (url == null) {
      // a single packaged file
      try (InputStream in = cl.getResourceAsStream(dir)) {
        if (in == null) {
          throw new IOException("no classpath resource " + dir);
        }
        out.add(new Source(Path.of(dir), new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      }
      return;
    }
    if ("jar".equals(url.getProtocol())) {
      String key = url.toString();
      List<Source> packaged = PACKAGED.get(key);
      if (packaged == null) {
        JAR_LISTINGS.incrementAndGet();
        List<String> names = new ArrayList<>();
        JarURLConnection conn = (JarURLConnection) url.openConnection();
        conn.setUseCaches(false);
        try (JarFile jar = conn.getJarFile()) {
          jar.stream()
              .map(JarEntry::getName)
              .filter(n -> n.startsWith(prefix) && (n.endsWith(".yaml") || n.endsWith(".yml")))
              .filter(n -> n.indexOf('/', prefix.length()) < 0)
              .forEach(names::add);
        }
        packaged = List.copyOf(readNamed(cl, names));
        PACKAGED.putIfAbsent(key, packaged);
      }
      out.addAll(packaged);
      return;
    }
    List<String> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of(url.toURI()))) {
      s.map(f -> prefix + f.getFileName())
          .filter(n -> n.endsWith(".yaml") || n.endsWith(".yml"))
          .forEach(names::add);
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    out.addAll(readNamed(cl, names));
  }

  private static List<Source> readNamed(ClassLoader cl, List<String> names) throws IOException {
    List<Source> out = new ArrayList<>();
    names.sort(null);
    for (String n : names) {
      try (InputStream in = cl.getResourceAsStream(n)) {
        out.add(
            new Source(
                Path.of("classpath:" + n), new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      }
    }
    return out;
  }

  /** Checks already-read files. */
  public static Loaded check(List<Source> files, String defaultLocale, String description) {
    List<Finding> errors = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Map<String, MessageTemplate> templates = new LinkedHashMap<>();
    Map<String, String> where = new LinkedHashMap<>();
    for (Source src : files) {
      new FileChecker(src, defaultLocale, errors, notes, templates, where).run();
    }
    return new Loaded(
        errors.isEmpty() ? Map.copyOf(templates) : Map.of(),
        Map.copyOf(where),
        List.copyOf(errors),
        List.copyOf(notes),
        description,
        fingerprint(files));
  }

  static String fingerprint(List<Source> files) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Source s : files) {
        md.update(s.path().toString().getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(s.text().getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Walks one file's YAML nodes, so each finding carries the line it is about. */
  private static final class FileChecker {
    private final Source src;
    private final String defaultLocale;
    private final List<Finding> errors;
    private final List<String> notes;
    private final Map<String, MessageTemplate> templates;
    private final Map<String, String> where;

    FileChecker(
        Source src,
        String defaultLocale,
        List<Finding> errors,
        List<String> notes,
        Map<String, MessageTemplate> templates,
        Map<String, String> where) {
      this.src = src;
      this.defaultLocale = defaultLocale;
      this.errors = errors;
      this.notes = notes;
      this.templates = templates;
      this.where = where;
    }

    void error(Node at, String problem) {
      errors.add(new Finding(src.path(), line(at), problem));
    }

    static int line(Node n) {
      return n == null ? 0 : n.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    void run() {
      Node root;
      try {
        LoadSettings settings = LoadSettings.builder().setLabel(src.path().toString()).build();
        Composer composer =
            new Composer(
                settings, new ParserImpl(settings, new StreamReader(settings, src.text())));
        Optional<Node> single = composer.getSingleNode();
        if (single.isEmpty()) {
          return; // an empty file declares nothing
        }
        root = single.get();
      } catch (MarkedYamlEngineException e) {
        int line =
            e.getProblemMark()
                .map(m -> m.getLine() + 1)
                .orElse(e.getContextMark().map(m -> m.getLine() + 1).orElse(0));
        errors.add(new Finding(src.path(), line, "YAML syntax: " + oneLine(e.getProblem())));
        return;
      } catch (YamlEngineException e) {
        errors.add(new Finding(src.path(), 0, "YAML: " + oneLine(e.getMessage())));
        return;
      }
      if (!(root instanceof MappingNode rootMap)) {
        error(root, "a template file is a mapping with a top-level 'templates:' key");
        return;
      }
      Map<String, NodeTuple> top = entries(rootMap);
      NodeTuple ts = top.get("templates");
      for (String k : top.keySet()) {
        if (!k.equals("templates")) {
          error(top.get(k).getKeyNode(), "unknown key '" + k + "' (only 'templates:')");
        }
      }
      if (ts == null) {
        error(root, "missing top-level 'templates:' mapping");
        return;
      }
      if (!(ts.getValueNode() instanceof MappingNode tmap)) {
        error(ts.getValueNode(), "'templates:' must map template names to their definitions");
        return;
      }
      for (NodeTuple t : tmap.getValue()) {
        String name = scalar(t.getKeyNode());
        if (name == null || !name.matches("[A-Za-z0-9_.-]{1,100}")) {
          error(t.getKeyNode(), "template name must be 1-100 letters, digits, '.', '_' or '-'");
          continue;
        }
        if (where.containsKey(name)) {
          error(
              t.getKeyNode(), "template '" + name + "' is already declared at " + where.get(name));
          continue;
        }
        where.put(name, src.path() + ":" + line(t.getKeyNode()));
        template(name, t.getKeyNode(), t.getValueNode());
      }
    }

    private void template(String name, Node keyNode, Node value) {
      if (!(value instanceof MappingNode m)) {
        error(value, "template '" + name + "' must be a mapping (purpose, variables, locales)");
        return;
      }
      int before = errors.size();
      Map<String, NodeTuple> e = entries(m);
      for (Map.Entry<String, NodeTuple> x : e.entrySet()) {
        if (!TEMPLATE_KEYS.contains(x.getKey())) {
          error(
              x.getValue().getKeyNode(),
              "template '"
                  + name
                  + "': unknown key '"
                  + x.getKey()
                  + "' (allowed: "
                  + TEMPLATE_KEYS
                  + ")");
        }
      }
      String purpose = scalarOf(e.get("purpose"));
      if (purpose == null) {
        error(
            keyNode,
            "template '" + name + "': missing 'purpose' (one of " + MessageTemplate.PURPOSES + ")");
      } else if (!MessageTemplate.PURPOSES.contains(purpose)) {
        error(
            e.get("purpose").getValueNode(),
            "template '"
                + name
                + "': unknown purpose '"
                + purpose
                + "' (one of "
                + MessageTemplate.PURPOSES
                + ")");
      }
      String locale =
          e.containsKey("default-locale") ? scalarOf(e.get("default-locale")) : defaultLocale;
      Integer maxSegments = null;
      if (e.containsKey("max-segments")) {
        maxSegments = positiveInt(e.get("max-segments").getValueNode(), name, "max-segments");
      }
      List<String> fallback = fallback(name, e.get("fallback"));
      // variables
      Map<String, MessageTemplate.Variable> vars = new LinkedHashMap<>();
      Map<String, Node> varNodes = new LinkedHashMap<>();
      NodeTuple vt = e.get("variables");
      if (vt != null && !(isNull(vt.getValueNode()))) {
        if (!(vt.getValueNode() instanceof MappingNode vm)) {
          error(
              vt.getValueNode(),
              "template '" + name + "': 'variables' maps each variable to {max-length: N}");
        } else {
          for (NodeTuple v : vm.getValue()) {
            String vn = scalar(v.getKeyNode());
            varNodes.put(vn, v.getKeyNode());
            if (!(v.getValueNode() instanceof MappingNode vdef)) {
              error(
                  v.getValueNode(),
                  "variable '"
                      + vn
                      + "': declare {max-length: N} (and gsm7: true if its values are always GSM-7)");
              continue;
            }
            Map<String, NodeTuple> d = entries(vdef);
            for (String k : d.keySet()) {
              if (!k.equals("max-length") && !k.equals("gsm7")) {
                error(
                    d.get(k).getKeyNode(),
                    "variable '" + vn + "': unknown key '" + k + "' (max-length, gsm7)");
              }
            }
            Integer max =
                d.containsKey("max-length")
                    ? positiveInt(
                        d.get("max-length").getValueNode(),
                        name,
                        "variable '" + vn + "' max-length")
                    : null;
            if (!d.containsKey("max-length")) {
              error(
                  v.getKeyNode(),
                  "variable '"
                      + vn
                      + "': missing max-length (needed for the worst-case segment count)");
            }
            boolean gsm7 = false;
            if (d.containsKey("gsm7")) {
              String g = scalarOf(d.get("gsm7"));
              if (!"true".equals(g) && !"false".equals(g)) {
                error(
                    d.get("gsm7").getValueNode(),
                    "variable '" + vn + "': gsm7 must be true or false");
              }
              gsm7 = "true".equals(g);
            }
            vars.put(vn, new MessageTemplate.Variable(vn, max == null ? 0 : max, gsm7));
          }
        }
      }
      // locales
      Map<String, MessageTemplate.Forms> locales = new LinkedHashMap<>();
      Map<String, Node> smsNodes = new LinkedHashMap<>();
      Set<String> used = new LinkedHashSet<>();
      NodeTuple lt = e.get("locales");
      if (lt == null || !(lt.getValueNode() instanceof MappingNode lm) || lm.getValue().isEmpty()) {
        error(
            lt == null ? keyNode : lt.getValueNode(),
            "template '" + name + "': 'locales' must map at least one locale to its channel forms");
      } else {
        for (NodeTuple l : lm.getValue()) {
          String loc = scalar(l.getKeyNode());
          MessageTemplate.Forms forms = forms(name, loc, l.getValueNode(), vars, used, smsNodes);
          if (forms != null) {
            locales.put(loc, forms);
          }
        }
        if (locale == null || !locales.containsKey(locale)) {
          Node at =
              e.containsKey("default-locale")
                  ? e.get("default-locale").getValueNode()
                  : lt.getKeyNode();
          error(
              at,
              "template '"
                  + name
                  + "': no variant for its default locale '"
                  + locale
                  + "'"
                  + (e.containsKey("default-locale") ? "" : " (templates.default-locale)")
                  + "; has "
                  + locales.keySet());
        }
      }
      for (Map.Entry<String, Node> v : varNodes.entrySet()) {
        if (!used.contains(v.getKey())) {
          error(
              v.getValue(),
              "template '"
                  + name
                  + "': variable '"
                  + v.getKey()
                  + "' is declared but no form uses it");
        }
      }
      if (errors.size() > before) {
        return;
      }
      MessageTemplate t =
          new MessageTemplate(
              name, purpose, locale, maxSegments, Map.copyOf(vars), Map.copyOf(locales), fallback);
      segments(t, smsNodes);
      if (errors.size() == before) {
        templates.put(name, t);
      }
    }

    /**
     * {@code fallback: [whatsapp, sms, voice]}: the channel chain of the template's rows (see
     * docs/outbox.md#channel-fallback); checked with {@link FallbackChain}.
     */
    private List<String> fallback(String name, NodeTuple t) {
      if (t == null || isNull(t.getValueNode())) {
        return List.of();
      }
      if (!(t.getValueNode() instanceof SequenceNode seq)) {
        error(
            t.getValueNode(),
            "template '"
                + name
                + "': 'fallback' is a list of channels, e.g. [whatsapp, sms, voice]");
        return List.of();
      }
      List<String> names = new ArrayList<>();
      for (Node n : seq.getValue()) {
        names.add(n instanceof ScalarNode sn ? sn.getValue() : String.valueOf(n));
      }
      try {
        return FallbackChain.of(names).channels().stream().map(Channel::column).toList();
      } catch (IllegalArgumentException ex) {
        error(t.getValueNode(), "template '" + name + "': fallback: " + ex.getMessage());
        return List.of();
      }
    }

    private MessageTemplate.Forms forms(
        String name,
        String loc,
        Node value,
        Map<String, MessageTemplate.Variable> vars,
        Set<String> used,
        Map<String, Node> smsNodes) {
      String what = "template '" + name + "' locale '" + loc + "'";
      if (loc == null || !loc.matches("[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*")) {
        error(value, what + ": locale must look like en, es or pt-BR");
        return null;
      }
      if (!(value instanceof MappingNode m)) {
        error(value, what + ": map channel forms (sms, voice, whatsapp) to their text");
        return null;
      }
      Map<String, NodeTuple> f = entries(m);
      for (String k : f.keySet()) {
        if (!FORM_KEYS.contains(k)) {
          error(
              f.get(k).getKeyNode(),
              what + ": unknown channel form '" + k + "' (sms, voice, whatsapp)");
        }
      }
      String sms = text(f.get("sms"), what, "sms", vars, used);
      String voice = text(f.get("voice"), what, "voice", vars, used);
      String contentSid = null;
      Map<String, String> waVars = null;
      NodeTuple wa = f.get("whatsapp");
      if (wa != null) {
        if (!(wa.getValueNode() instanceof MappingNode wm)) {
          error(wa.getValueNode(), what + ": whatsapp needs content-sid and variables");
        } else {
          Map<String, NodeTuple> w = entries(wm);
          contentSid = scalarOf(w.get("content-sid"));
          if (contentSid == null || !contentSid.matches("HX[0-9a-fA-F]{32}")) {
            error(
                w.containsKey("content-sid")
                    ? w.get("content-sid").getValueNode()
                    : wa.getKeyNode(),
                what + ": whatsapp content-sid must be HX + 32 hex digits");
          }
          waVars = new LinkedHashMap<>();
          NodeTuple mv = w.get("variables");
          if (mv != null && mv.getValueNode() instanceof MappingNode mvm) {
            for (NodeTuple p : mvm.getValue()) {
              String key = scalar(p.getKeyNode());
              String var = scalar(p.getValueNode());
              if (var != null && var.startsWith("{{")) {
                var = var.replaceAll("[{}\\s]", "");
              }
              if (var == null || !vars.containsKey(var)) {
                error(
                    p.getValueNode(),
                    what
                        + ": whatsapp variable "
                        + key
                        + " maps to unknown variable '"
                        + var
                        + "'");
              } else {
                used.add(var);
              }
              waVars.put(key, var);
            }
          } else if (mv != null && !isNull(mv.getValueNode())) {
            error(
                mv.getValueNode(),
                what
                    + ": whatsapp variables map ContentVariables keys (\"1\", \"2\") to template variables");
          }
        }
      }
      if (sms == null && voice == null && contentSid == null) {
        error(value, what + ": needs at least one of sms, voice, whatsapp");
      }
      if (sms != null) {
        smsNodes.put(loc, f.get("sms").getValueNode());
      }
      return new MessageTemplate.Forms(sms, voice, contentSid, waVars);
    }

    private String text(
        NodeTuple t,
        String what,
        String form,
        Map<String, MessageTemplate.Variable> vars,
        Set<String> used) {
      if (t == null) {
        return null;
      }
      String text = scalarOf(t);
      if (text == null || text.isBlank()) {
        error(t.getValueNode(), what + ": " + form + " text is empty");
        return null;
      }
      for (String v : MessageTemplate.variablesOf(text)) {
        used.add(v);
        if (!vars.containsKey(v)) {
          error(
              t.getValueNode(),
              what + ": " + form + " uses {{" + v + "}}, which is not declared under variables");
        }
      }
      return text;
    }

    /** Worst case: every variable at its maximum length. */
    private void segments(MessageTemplate t, Map<String, Node> smsNodes) {
      for (Map.Entry<String, Node> e : smsNodes.entrySet()) {
        String body = t.locales().get(e.getKey()).sms();
        Worst w = worstCase(body, t.variables());
        String where = "template '" + t.name() + "' locale '" + e.getKey() + "'";
        notes.add(
            src.path()
                + ":"
                + line(e.getValue())
                + ": "
                + where
                + " sms: worst case "
                + w.segments()
                + " segment(s), "
                + w.encoding()
                + " (GSM-7 "
                + w.gsm7Segments()
                + ", UCS-2 "
                + w.ucs2Segments()
                + "), up to "
                + w.chars()
                + " characters");
        if (w.chars() > MAX_BODY_CHARS) {
          error(
              e.getValue(),
              where
                  + ": sms can reach "
                  + w.chars()
                  + " characters with variables at their max-length; Twilio allows "
                  + MAX_BODY_CHARS);
        } else if (t.maxSegments() != null && w.segments() > t.maxSegments()) {
          error(
              e.getValue(),
              where
                  + ": sms can take "
                  + w.segments()
                  + " "
                  + w.encoding()
                  + " segments with variables at their max-length (GSM-7 "
                  + w.gsm7Segments()
                  + ", UCS-2 "
                  + w.ucs2Segments()
                  + "); max-segments is "
                  + t.maxSegments()
                  + (w.encoding() == SegmentCounter.Encoding.UCS2
                          && w.gsm7Segments() <= t.maxSegments()
                      ? " (declare gsm7: true on variables whose values are always GSM-7)"
                      : ""));
        }
      }
    }

    private Integer positiveInt(Node n, String name, String what) {
      String s = scalar(n);
      try {
        int v = Integer.parseInt(s);
        if (v >= 1 && v <= MAX_BODY_CHARS) {
          return v;
        }
      } catch (NumberFormatException ignored) {
        // reported below
      }
      error(
          n,
          "template '"
              + name
              + "': "
              + what
              + " must be a whole number from 1 to "
              + MAX_BODY_CHARS
              + ", got '"
              + s
              + "'");
      return null;
    }

    private static Map<String, NodeTuple> entries(MappingNode m) {
      Map<String, NodeTuple> out = new LinkedHashMap<>();
      for (NodeTuple t : m.getValue()) {
        out.put(scalar(t.getKeyNode()), t);
      }
      return out;
    }

    private static boolean isNull(Node n) {
      return n instanceof ScalarNode s
          && (s.getValue().isEmpty() || s.getValue().equals("null") || s.getValue().equals("~"));
    }

    private static String scalarOf(NodeTuple t) {
      return t == null ? null : scalar(t.getValueNode());
    }

    private static String scalar(Node n) {
      return n instanceof ScalarNode s ? s.getValue() : null;
    }
  }

  /** The worst case of one SMS body, with every variable at its declared maximum. */
  public record Worst(
      SegmentCounter.Encoding encoding,
      int segments,
      int gsm7Segments,
      int ucs2Segments,
      int chars) {}

  public static Worst worstCase(String body, Map<String, MessageTemplate.Variable> vars) {
    String fixed = MessageTemplate.VAR.matcher(body).replaceAll("");
    SegmentCounter.Count fixedCount = SegmentCounter.count(fixed);
    int varChars = 0;
    boolean allGsm7 = true;
    var m = MessageTemplate.VAR.matcher(body);
    while (m.find()) {
      MessageTemplate.Variable v = vars.get(m.group(1));
      if (v != null) {
        varChars += v.maxLength();
        allGsm7 &= v.gsm7();
      }
    }
    int chars = fixed.codePointCount(0, fixed.length()) + varChars;
    // GSM-7: the fixed text's septets plus one septet per variable character (basic alphabet).
    int septets =
        (fixedCount.encoding() == SegmentCounter.Encoding.GSM7
                ? fixedCount.units()
                : fixed.length())
            + varChars;
    int gsm7 = septets == 0 ? 0 : septets <= 160 ? 1 : (septets + 152) / 153;
    // UCS-2: one UTF-16 unit per fixed unit and per variable character.
    int units = fixed.length() + varChars;
    int ucs2 = units == 0 ? 0 : units <= 70 ? 1 : (units + 66) / 67;
    boolean gsm = fixedCount.encoding() == SegmentCounter.Encoding.GSM7 && allGsm7;
    return new Worst(
        gsm ? SegmentCounter.Encoding.GSM7 : SegmentCounter.Encoding.UCS2,
        gsm ? gsm7 : ucs2,
        gsm7,
        ucs2,
        chars);
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").trim();
  }
}
