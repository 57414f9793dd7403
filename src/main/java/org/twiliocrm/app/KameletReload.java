package org.twiliocrm.app;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.NoSuchEndpointException;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.Route;
import org.apache.camel.component.kamelet.KameletEndpoint;
import org.apache.camel.model.EndpointRequiredDefinition;
import org.apache.camel.model.KameletDefinition;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.ProcessorDefinitionHelper;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.ToDynamicDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.twiliocrm.config.Finding;

/**
 * Live reload of one kamelet file ({@code NAME.kamelet.yaml}) for {@link TreeReloader}.
 *
 * <p>The kamelet component only reads a kamelet when its route template is missing, and only for a
 * kamelet endpoint it has not created yet; the routes made from the template keep running as they
 * were built. So an edit is applied by taking down everything built from the old text and building
 * it again: the routes made from the kamelet, and the routes that use it ({@code kamelet:NAME}, or
 * a kamelet that does) are removed, with the template and the kamelet endpoints; the new text is
 * loaded as the template; then the files of the routes that used it are loaded again, which makes
 * the component build fresh routes from the new template (only the routes that use it: the other
 * routes of their files keep running). Camel's own route watcher does the same by removing every
 * route. The new text is parsed before anything stops, so a text the DSL rejects stops nothing.
 * Before the routes stop, their HTTP endpoints and timers take nothing new (a webhook is answered
 * 503 with Retry-After: 1), the exchanges in flight are waited for every few ms rather than in
 * Camel's one-second steps, and the outbox's SEDA queue is set aside for the new route (its claim
 * route pausing meanwhile), not dropped.
 *
 * <p>If the new text fails anywhere (YAML, the DSL, an endpoint, a bean), the last good text is put
 * back the same way and the problem is reported with file:line.
 */
final class KameletReload implements TreeReloader.Handler {
  private static final Logger LOG = LoggerFactory.getLogger(KameletReload.class);
  static final String SUFFIX = ".kamelet.yaml";

  private final CamelContext ctx;
  private final Map<Path, String> good = new LinkedHashMap<>();

  KameletReload(CamelContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void apply(Path file, String text, String previous) throws TreeReloader.Rejected {
    String name = nameOf(file);
    if (previous != null) {
      good.putIfAbsent(file, previous); // what the connector started with loaded fine
    }
    check(file, name, text);
    // The route files to load again, kept across a failed attempt: a failure halfway leaves some
    // of them unloaded, and the restore must bring those back too.
    Map<String, Resource> users = new LinkedHashMap<>();
    Set<String> userRoutes = new LinkedHashSet<>();
    try {
      rebuild(name, "file:" + file, text, users, userRoutes);
      good.put(file, text);
    } catch (Unchanged e) {
      // failed before anything was taken down: the last good version is still running
      throw new TreeReloader.Rejected(
          List.of(
              new Finding(
                  file, lineOf(e.getCause(), text), RouteValidator.describe(e.getCause()))));
    } catch (Exception e) {
      Finding problem = new Finding(file, lineOf(e, text), RouteValidator.describe(e));
      String last = good.get(file);
      try {
        if (last != null) {
          rebuild(name, "file:" + file, last, users, userRoutes);
        } else {
          // a new file that never loaded: back to the packaged copy it was to replace, if any
          String packaged = packaged(name);
          rebuild(name, packagedLocation(name), packaged, users, userRoutes);
        }
      } catch (Exception restore) {
        LOG.error("Restoring the last good {} failed: {}", file, restore.toString());
      }
      throw new TreeReloader.Rejected(List.of(problem));
    }
  }

  @Override
  public void removed(Path file) {
    String name = nameOf(file);
    String packaged = packaged(name);
    if (packaged == null) {
      // Nothing to fall back to: the routes that use it would not build, so they keep the
      // deleted version until the next restart.
      LOG.error(
          "Kamelet {} was deleted and has no packaged copy; the routes that use it keep the last"
              + " good version until a restart",
          file);
      return;
    }
    try {
      rebuild(name, packagedLocation(name), packaged, new LinkedHashMap<>(), new LinkedHashSet<>());
      good.remove(file);
      LOG.info("Kamelet {} was deleted; its users now run the packaged copy", file);
    } catch (Exception e) {
      LOG.error("Falling back to the packaged kamelet {} failed: {}", name, e.toString());
    }
  }

  /** The new text failed before any route was stopped. */
  private static final class Unchanged extends Exception {
    Unchanged(Exception cause) {
      super(cause);
    }
  }

  static String nameOf(Path file) {
    String f = file.getFileName().toString();
    return f.substring(0, f.length() - SUFFIX.length());
  }

  private static String packagedLocation(String name) {
    return "classpath:kamelets/" + name + SUFFIX;
  }

  /** The copy of kamelet {@code name} packaged in the jar, or null. */
  private String packaged(String name) {
    try (InputStream in =
        ctx.getClassResolver().loadResourceAsStream("kamelets/" + name + SUFFIX)) {
      return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * What must hold before anything is taken down: the YAML parses, and it is a Kamelet named as its
   * file (the name is the template id the routes ask for).
   */
  private static void check(Path file, String name, String text) throws TreeReloader.Rejected {
    List<Object> docs = new ArrayList<>();
    try {
      new Load(LoadSettings.builder().setLabel(file.toString()).build())
          .loadAllFromString(text)
          .forEach(docs::add);
    } catch (MarkedYamlEngineException e) {
      throw new TreeReloader.Rejected(
          List.of(
              new Finding(
                  file,
                  e.getProblemMark().map(m -> m.getLine() + 1).orElse(0),
                  "YAML syntax: " + e.getProblem())));
    }
    if (docs.size() != 1 || !(docs.get(0) instanceof Map<?, ?> root)) {
      throw rejected(file, 1, "a kamelet file holds one YAML mapping with kind: Kamelet");
    }
    if (!"Kamelet".equals(root.get("kind"))) {
      throw rejected(file, lineMatching(text, "kind:"), "kind must be Kamelet");
    }
    Object metadata = root.get("metadata");
    Object declared = metadata instanceof Map<?, ?> m ? m.get("name") : null;
    if (!name.equals(declared)) {
      throw rejected(
          file,
          lineMatching(text, "name:"),
          "metadata.name '" + declared + "' must equal the file name without " + SUFFIX);
    }
    if (!(root.get("spec") instanceof Map<?, ?> spec && spec.get("template") instanceof Map)) {
      throw rejected(file, lineMatching(text, "spec:"), "spec.template is missing");
    }
  }

  private static TreeReloader.Rejected rejected(Path file, int line, String problem) {
    return new TreeReloader.Rejected(List.of(new Finding(file, line, problem)));
  }

  /**
   * Takes down what was built from kamelet {@code name} and builds it again from {@code text} (read
   * from {@code location}; null text: from the kamelet component's locations); {@code users}
   * collects the source files of the routes that use it and {@code userRoutes} their ids, which are
   * loaded again (both kept across a failed attempt: its restore loads the same routes).
   */
  private void rebuild(
      String name,
      String location,
      String text,
      Map<String, Resource> users,
      Set<String> userRoutes)
      throws Exception {
    long t0 = System.nanoTime();
    ModelCamelContext model = (ModelCamelContext) ctx;
    List<RouteDefinition> defs = new ArrayList<>(model.getRouteDefinitions());
    // The kamelet, and every kamelet whose template uses it (their routes embed the old one too).
    Set<String> templates = new LinkedHashSet<>(List.of(name));
    Deque<String> work = new ArrayDeque<>(templates);
    while (!work.isEmpty()) {
      String t = work.pop();
      for (RouteDefinition d : defs) {
        String from = templateOf(d);
        if (from != null && uses(d, t) && templates.add(from)) {
          work.push(from);
        }
      }
    }
    List<String> built = new ArrayList<>();
    for (RouteDefinition d : defs) {
      String from = templateOf(d);
      boolean fromIt = from != null && templates.contains(from);
      boolean user = from == null && templates.stream().anyMatch(t -> uses(d, t));
      if (!fromIt && !user) {
        continue;
      }
      Route r = ctx.getRoute(d.getRouteId());
      if (r == null) {
        // left by an attempt that failed halfway: a definition whose route was never created
        model.removeRouteDefinition(d);
        continue;
      }
      if (fromIt) {
        built.add(d.getRouteId());
      } else {
        Resource res = r.getSourceResource();
        if (res == null) {
          throw new IllegalStateException(
              "route " + d.getRouteId() + " uses kamelet " + name + " but has no source file");
        }
        users.putIfAbsent(res.getLocation(), res);
        userRoutes.add(d.getRouteId());
        built.add(d.getRouteId());
      }
    }
    // Parsed before anything stops (the YAML DSL takes a while on a busy machine): the routes
    // then stop only for Camel to build and start them, and a text the DSL rejects stops nothing.
    long parse0 = System.nanoTime();
    List<org.apache.camel.RoutesBuilder> kamelet;
    List<org.apache.camel.RoutesBuilder> routes;
    try {
      kamelet =
          text == null
              ? List.of()
              : parsed(List.of(ResourceHelper.fromString(location, text)), null);
      routes = parsed(users.values(), userRoutes);
    } catch (Exception e) {
      throw new Unchanged(e);
    }
    long parsed = System.nanoTime();
    // Routes fed by no other route (a consumer of their own) stop first, so nothing new enters
    // while the ones behind them finish what is in flight.
    List<String> order = new ArrayList<>(built);
    order.sort((a, b) -> Boolean.compare(fedByAnotherRoute(model, a), fedByAnotherRoute(model, b)));
    long quiet;
    long stopped;
    long loaded;
    // Their HTTP endpoints and timers take nothing new (webhooks are answered 503 with
    // Retry-After: 1 meanwhile), the routes that fill their SEDA queue (the outbox's claim route)
    // pause, the rows queued are set aside for the new route, and the exchanges in flight are
    // waited for every few ms: Camel's stop then has nothing to wait for in its one-second steps.
    try (TreeReloader.Quiet q = TreeReloader.quiesce(ctx, new LinkedHashSet<>(order))) {
      quiet = System.nanoTime();
      for (String id : order) {
        ctx.getRouteController().stopRoute(id);
        ctx.removeRoute(id);
      }
      stopped = System.nanoTime();
      ctx.removeRouteTemplates(name);
      for (Endpoint e : new ArrayList<>(ctx.getEndpoints())) {
        if (e instanceof KameletEndpoint k && templates.contains(k.getTemplateId())) {
          ctx.removeEndpoint(e);
        }
      }
      for (org.apache.camel.RoutesBuilder b : kamelet) {
        b.addRoutesToCamelContext(ctx);
      }
      loaded = System.nanoTime();
      Set<String> ids = new LinkedHashSet<>();
      for (org.apache.camel.RoutesBuilder b : routes) {
        ids.addAll(b.updateRoutesToCamelContext(ctx));
      }
      LOG.info(
          "Kamelet {} reloaded in {} ms (parsed in {} ms, quiet in {} ms with {} queued exchanges"
              + " set aside, old routes stopped in {} ms, template added in {} ms, routes rebuilt"
              + " and started in {} ms); rebuilt routes {} from {}",
          name,
          (System.nanoTime() - t0) / 1_000_000,
          (parsed - parse0) / 1_000_000,
          (quiet - parsed) / 1_000_000,
          q.setAside(),
          (stopped - quiet) / 1_000_000,
          (loaded - stopped) / 1_000_000,
          (System.nanoTime() - loaded) / 1_000_000,
          ids,
          users.keySet().stream()
              .map(l -> Path.of(l.replaceFirst("^file:", "")).getFileName().toString())
              .toList());
    }
  }

  /**
   * The files' routes parsed into builders, not yet added to Camel; with {@code ids}, only the
   * routes with those ids (the other routes of a file, like the outbox's claim route beside its
   * send route, keep running untouched).
   */
  private List<org.apache.camel.RoutesBuilder> parsed(
      java.util.Collection<Resource> files, Set<String> ids) throws Exception {
    List<org.apache.camel.RoutesBuilder> out = new ArrayList<>();
    for (org.apache.camel.RoutesBuilder b :
        PluginHelper.getRoutesLoader(ctx).findRoutesBuilders(files)) {
      if (b instanceof org.apache.camel.builder.RouteBuilder rb) {
        // configures once: adding the builder later reuses what is parsed here
        List<RouteDefinition> defs = rb.configureRoutes(ctx).getRoutes();
        if (ids != null) {
          defs.removeIf(d -> !ids.contains(d.getRouteId()));
        }
      }
      out.add(b);
    }
    return out;
  }

  /** The kamelet a route was made from, or null for a route of its own. */
  private static String templateOf(RouteDefinition d) {
    if (!Boolean.TRUE.equals(d.isKamelet()) || d.getTemplateParameters() == null) {
      return null;
    }
    Object t = d.getTemplateParameters().get("templateId");
    return t == null ? null : t.toString();
  }

  private static boolean fedByAnotherRoute(ModelCamelContext model, String id) {
    RouteDefinition d = model.getRouteDefinition(id);
    return d != null && d.getInput() != null && isKameletUri(d.getInput().getEndpointUri(), null);
  }

  /** Whether the route's input or any step refers to kamelet {@code name}. */
  static boolean uses(RouteDefinition d, String name) {
    if (d.getInput() != null && isKameletUri(d.getInput().getEndpointUri(), name)) {
      return true;
    }
    for (ProcessorDefinition<?> p :
        ProcessorDefinitionHelper.filterTypeInOutputs(d.getOutputs(), ProcessorDefinition.class)) {
      String uri =
          p instanceof EndpointRequiredDefinition e
              ? e.getEndpointUri()
              : p instanceof ToDynamicDefinition t ? t.getUri() : null;
      if (isKameletUri(uri, name)) {
        return true;
      }
      if (p instanceof KameletDefinition k
          && k.getName() != null
          && k.getName().replaceFirst("[/?].*", "").equals(name)) {
        return true;
      }
    }
    return false;
  }

  /** {@code kamelet:NAME}, {@code kamelet://NAME/route?x=y} ...; any kamelet when name is null. */
  static boolean isKameletUri(String uri, String name) {
    if (uri == null || !uri.startsWith("kamelet:")) {
      return false;
    }
    if (name == null) {
      return true;
    }
    String rest = uri.substring("kamelet:".length()).replaceFirst("^//", "");
    return rest.equals(name) || rest.startsWith(name + "?") || rest.startsWith(name + "/");
  }

  /**
   * Where in the kamelet the problem is: the YAML DSL's own mark, else the line of the endpoint
   * that did not resolve, else the template's first line.
   */
  static int lineOf(Throwable e, String text) {
    for (Throwable c = e; c != null && c.getCause() != c; c = c.getCause()) {
      if (c instanceof MarkedYamlEngineException m && m.getProblemMark().isPresent()) {
        return m.getProblemMark().get().getLine() + 1;
      }
      String uri =
          c instanceof ResolveEndpointFailedException r
              ? r.getUri()
              : c instanceof NoSuchEndpointException n ? n.getUri() : null;
      if (uri != null) {
        String bare = uri.replaceFirst("\\?.*", "").replaceFirst("^([^:]+):(//)?", "$1:");
        int line = lineMatching(text, Pattern.quote(bare));
        if (line > 0) {
          return line;
        }
      }
    }
    return lineMatching(text, "template:");
  }

  private static int lineMatching(String text, String regex) {
    Pattern p = Pattern.compile(regex);
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (p.matcher(lines[i]).find()) {
        return i + 1;
      }
    }
    return 0;
  }
}
