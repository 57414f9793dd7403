package org.twiliocrm.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.Route;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.twiliocrm.config.Finding;
import org.twiliocrm.crm.events.SendRules;

/**
 * Live reload of the editable tree (connector.dev, or connector.reload.enabled for ConfigMap
 * updates): watches route files, kamelets and the CRM send rules, and applies an edit while the
 * connector runs. An edit that does not load is reported once with file:line and the last good
 * version keeps running: a broken route file is put back as it was, broken rules are not taken
 * over.
 *
 * <p>It compares file contents every {@value #POLL_MILLIS} ms rather than using a WatchService:
 * Kubernetes updates a ConfigMap mount by swapping a symlink, which inotify on the directory does
 * not report, and a polled comparison of a few small files costs nothing.
 */
final class TreeReloader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TreeReloader.class);
  static final long POLL_MILLIS = 100;

  /** Applies one changed file; throws {@link Rejected} to keep the last good version. */
  interface Handler {
    /**
     * @param previous the text seen before (at start: what the connector loaded), null for a new
     *     file
     */
    void apply(Path file, String text, String previous) throws Rejected;

    /** The file is gone. */
    default void removed(Path file) {}
  }

  /** An edit that was not applied, with what is wrong and where. */
  static final class Rejected extends Exception {
    final List<Finding> findings;

    Rejected(List<Finding> findings) {
      super(findings.toString());
      this.findings = findings;
    }
  }

  private record Watch(Path path, String suffix, Handler handler) {}

  private final List<Watch> watches = new ArrayList<>();
  private final Map<Path, String> seen = new LinkedHashMap<>();
  private final Set<Path> emptySeen = new HashSet<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "tree-reloader");
            t.setDaemon(true);
            return t;
          });
  private volatile List<Finding> lastProblems = List.of();
  private volatile long applied;

  /** Every file in {@code dir} ending with {@code suffix}. */
  TreeReloader watchDirectory(Path dir, String suffix, Handler h) {
    watches.add(new Watch(dir.toAbsolutePath().normalize(), suffix, h));
    return this;
  }

  /** One file. */
  TreeReloader watchFile(Path file, Handler h) {
    watches.add(new Watch(file.toAbsolutePath().normalize(), null, h));
    return this;
  }

  /** Remembers the current contents as loaded, then polls. */
  void start() {
    scan(false);
    timer.scheduleWithFixedDelay(() -> scan(true), POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** What the last rejected edit reported (empty after a good one). */
  List<Finding> lastProblems() {
    return lastProblems;
  }

  long appliedCount() {
    return applied;
  }

  synchronized void scan(boolean apply) {
    Set<Path> present = new HashSet<>();
    for (Watch w : watches) {
      for (Path f : files(w)) {
        present.add(f);
        String text;
        try {
          text = Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
          continue; // mid-write or vanished: the next scan sees it
        }
        String previous = seen.get(f);
        if (apply
            && text.isEmpty()
            && previous != null
            && !previous.isEmpty()
            && emptySeen.add(f)) {
          // An editor (or Files.writeString) truncates before it writes: an empty file is taken
          // over only if it is still empty at the next scan, never mid-write (an empty policy
          // would be a valid one that holds nothing).
          continue;
        }
        emptySeen.remove(f);
        String before = seen.put(f, text);
        if (!apply || text.equals(before)) {
          continue;
        }
        long seen = System.currentTimeMillis();
        try {
          w.handler().apply(f, text, before);
          applied++;
          lastProblems = List.of();
          LOG.info(
              "Reloaded {} (change seen {} ms after the file was written, applied in {} ms)",
              f,
              sinceWritten(f, seen),
              System.currentTimeMillis() - seen);
        } catch (Rejected r) {
          lastProblems = r.findings;
          r.findings.forEach(
              x -> LOG.error("Reload rejected: {}; the last good version keeps running", x));
        } catch (RuntimeException e) {
          lastProblems = List.of(new Finding(f, 0, String.valueOf(e.getMessage())));
          LOG.error(
              "Reload of {} failed: {}; the last good version keeps running", f, e.toString());
        }
      }
    }
    for (Path gone : new ArrayList<>(seen.keySet())) {
      if (!present.contains(gone)) {
        seen.remove(gone);
        if (apply) {
          watches.stream()
              .filter(w -> w.suffix() == null ? w.path().equals(gone) : gone.startsWith(w.path()))
              .findFirst()
              .ifPresent(w -> w.handler().removed(gone));
        }
      }
    }
  }

  /** How long after its last write the change was seen (-1 if unknown): the poll's latency. */
  private static long sinceWritten(Path f, long seen) {
    try {
      return Math.max(0, seen - Files.getLastModifiedTime(f).toMillis());
    } catch (IOException e) {
      return -1;
    }
  }

  private static List<Path> files(Watch w) {
    if (w.suffix() == null) {
      return Files.isRegularFile(w.path()) ? List.of(w.path()) : List.of();
    }
    if (!Files.isDirectory(w.path())) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(w.path())) {
      return s.filter(p -> p.getFileName().toString().endsWith(w.suffix()))
          .filter(Files::isRegularFile)
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  // ---- handlers

  /**
   * Route files through Camel's routes loader ({@code updateRoutes}: the file's routes are replaced
   * by id). A file that fails (YAML, DSL, endpoint, start) is reloaded from its last good text.
   */
  static Handler routes(CamelContext ctx) {
    Map<Path, String> good = new LinkedHashMap<>();
    return new Handler() {
      @Override
      public void apply(Path file, String text, String previous) throws Rejected {
        if (previous != null) {
          good.putIfAbsent(file, previous); // what the connector started with loaded fine
        }
        try {
          new Load(LoadSettings.builder().setLabel(file.toString()).build())
              .loadAllFromString(text)
              .forEach(d -> {});
        } catch (MarkedYamlEngineException e) {
          throw new Rejected(
              List.of(
                  new Finding(
                      file,
                      e.getProblemMark().map(m -> m.getLine() + 1).orElse(0),
                      "YAML syntax: " + e.getProblem())));
        }
        Set<String> before = routeIds(ctx, file);
        try (Quiet quiet = quiesce(ctx, before)) {
          Set<String> ids = load(ctx, file, text);
          for (String old : before) {
            if (!ids.contains(old)) {
              removeRoute(ctx, old);
            }
          }
          good.put(file, text);
          LOG.info(
              "Routes {} of {} replaced in {} ms (in-flight exchanges finished in {} ms)",
              ids,
              file.getFileName(),
              (System.nanoTime() - quiet.started) / 1_000_000,
              quiet.quietMillis);
        } catch (Exception e) {
          Finding problem = new Finding(file, lineOf(e, text), RouteValidator.describe(e));
          String last = good.get(file);
          try {
            if (last != null) {
              load(ctx, file, last);
            }
          } catch (Exception restore) {
            LOG.error("Restoring the last good {} failed: {}", file, restore.toString());
          }
          throw new Rejected(List.of(problem));
        }
      }

      @Override
      public void removed(Path file) {
        for (String id : routeIds(ctx, file)) {
          removeRoute(ctx, id);
        }
        LOG.info("Removed the routes of deleted {}", file);
      }
    };
  }

  /**
   * Gets running routes ready to be replaced (by Camel's routes loader for a route file, by {@link
   * KameletReload} for a kamelet). Camel stops each one gracefully and would otherwise (1) purge
   * the rows queued on a SEDA route that drops its queue on stop (the outbox's send queue: claimed
   * rows would wait for their lease), and (2) wait in steps of a whole second while a route has an
   * exchange in flight or a row queued, which took seconds while the claim route kept filling the
   * send queue. So: the routes filling a SEDA queue being replaced pause (and the outbox's claim
   * step stops waiting for due rows), what is queued is set aside and queued again for the new
   * route on close; every other consumer (a timer, an HTTP endpoint) takes nothing new, and the
   * exchanges in flight are waited for here every few milliseconds, so Camel's stop finds them
   * finished; and while a route serving a Twilio webhook is replaced, webhooks are answered 503
   * with Retry-After: 1. Closing undoes all of it.
   */
  static Quiet quiesce(CamelContext ctx, Set<String> ids) {
    long t0 = System.nanoTime();
    List<org.apache.camel.component.seda.SedaEndpoint> purging = new ArrayList<>();
    List<org.apache.camel.component.seda.SedaEndpoint> queues = new ArrayList<>();
    List<String> waitFor = new ArrayList<>();
    List<String> sedaRoutes = new ArrayList<>();
    List<org.apache.camel.Consumer> suspended = new ArrayList<>();
    boolean http = false;
    for (Route r : ctx.getRoutes()) {
      Object parent =
          r.getProperties() == null ? null : r.getProperties().get(Route.PARENT_PROPERTY);
      boolean ours = ids.contains(r.getRouteId()) || (parent != null && ids.contains(parent));
      if (!ours) {
        continue;
      }
      http |= r.getEndpoint().getEndpointUri().startsWith("platform-http:");
      if (r.getEndpoint() instanceof org.apache.camel.component.seda.SedaEndpoint seda) {
        if (seda.isPurgeWhenStopping()) {
          seda.setPurgeWhenStopping(false);
          purging.add(seda);
        }
        if (ids.contains(r.getRouteId())) {
          queues.add(seda);
          sedaRoutes.add(r.getRouteId());
        }
      } else if (ids.contains(r.getRouteId())
          && !r.getEndpoint().getEndpointUri().startsWith("kamelet:")
          && suspend(r, suspended)) {
        // (a kamelet route is left taking exchanges: its callers are inside other routes, and a
        // suspended one would leave them waiting for it)
        waitFor.add(r.getRouteId());
      }
    }
    // The routes that fill a SEDA queue being rebuilt (the outbox's claim route, when only its
    // send route is rebuilt for a kamelet edit) pause too: while rows keep arriving the queue is
    // never empty, and Camel's graceful stop waits for an empty queue in steps of a second.
    Set<String> feeding = new java.util.HashSet<>();
    queues.forEach(q -> feeding.add(q.getName()));
    List<org.twiliocrm.outbound.OutboxClaimer> claimers = new ArrayList<>();
    if (!feeding.isEmpty()) {
      // The claim step waits inside the claim route's exchange for due rows (up to
      // outbox.poll-interval) and would hold the wait below that long: it returns at once now.
      for (org.twiliocrm.outbound.OutboxClaimer c :
          ctx.getRegistry().findByType(org.twiliocrm.outbound.OutboxClaimer.class)) {
        c.pause();
        claimers.add(c);
      }
      for (Route r : ctx.getRoutes()) {
        if (!ids.contains(r.getRouteId())
            && !(r.getEndpoint() instanceof org.apache.camel.component.seda.SedaEndpoint)
            && !r.getEndpoint().getEndpointUri().startsWith("kamelet:")
            && sendsToSeda(ctx, r.getRouteId(), feeding)
            && suspend(r, suspended)) {
          waitFor.add(r.getRouteId());
        }
      }
    }
    org.twiliocrm.webhook.WebhookEdge edge =
        http
            ? ctx.getRegistry()
                .lookupByNameAndType("twilioWebhookEdge", org.twiliocrm.webhook.WebhookEdge.class)
            : null;
    AutoCloseable pause = edge != null ? edge.pause() : null;
    awaitIdle(ctx, waitFor, Long.MAX_VALUE);
    // Nothing fills the queues now: what is queued is set aside (and queued again for the new
    // route on close), so the old consumers only finish the rows they hold, which is waited for
    // here every few ms; Camel's stop then finds neither exchanges in flight nor queued ones.
    List<Aside> aside = new ArrayList<>();
    for (org.apache.camel.component.seda.SedaEndpoint q : queues) {
      List<org.apache.camel.Exchange> held = new ArrayList<>();
      q.getQueue().drainTo(held);
      aside.add(new Aside(q, held));
    }
    awaitIdle(ctx, sedaRoutes, Long.MAX_VALUE);
    // The routes still taking exchanges (kamelet) get a short chance to be found idle too;
    // Camel's graceful stop waits for them in any case.
    List<String> rest = new ArrayList<>(ids);
    rest.removeAll(waitFor);
    rest.removeAll(sedaRoutes);
    awaitIdle(ctx, rest, TimeUnit.MILLISECONDS.toNanos(250));
    return new Quiet(
        ctx, t0, (System.nanoTime() - t0) / 1_000_000, purging, suspended, pause, aside, claimers);
  }

  /** Rows taken off a SEDA queue while its route is rebuilt. */
  record Aside(
      org.apache.camel.component.seda.SedaEndpoint from, List<org.apache.camel.Exchange> held) {}

  private static boolean suspend(Route r, List<org.apache.camel.Consumer> suspended) {
    if (!(r.getConsumer() instanceof org.apache.camel.Suspendable)) {
      return false;
    }
    try {
      org.apache.camel.support.service.ServiceHelper.suspendService(r.getConsumer());
      suspended.add(r.getConsumer());
      return true;
    } catch (RuntimeException e) {
      LOG.debug("Suspending route {} failed: {}", r.getRouteId(), e.toString());
      return false;
    }
  }

  /** Whether route {@code id} sends to one of the SEDA queues {@code names}. */
  private static boolean sendsToSeda(CamelContext ctx, String id, Set<String> names) {
    org.apache.camel.model.RouteDefinition d =
        ((org.apache.camel.model.ModelCamelContext) ctx).getRouteDefinition(id);
    if (d == null) {
      return false;
    }
    for (org.apache.camel.model.ProcessorDefinition<?> p :
        org.apache.camel.model.ProcessorDefinitionHelper.filterTypeInOutputs(
            d.getOutputs(), org.apache.camel.model.ProcessorDefinition.class)) {
      String uri =
          p instanceof org.apache.camel.model.EndpointRequiredDefinition e
              ? e.getEndpointUri()
              : p instanceof org.apache.camel.model.ToDynamicDefinition t ? t.getUri() : null;
      String name = sedaName(uri);
      if (name != null && names.contains(name)) {
        return true;
      }
    }
    return false;
  }

  /** {@code seda:NAME?x=y}, {@code seda://NAME} -> NAME; null for any other URI. */
  static String sedaName(String uri) {
    if (uri == null || !uri.startsWith("seda:")) {
      return null;
    }
    return uri.substring("seda:".length()).replaceFirst("^//", "").replaceFirst("\\?.*", "");
  }

  /**
   * Waits until no exchange is inside the routes (twice in a row, a few ms apart), at most {@code
   * maxNanos} and Camel's shutdown timeout; polled every 5 ms, where Camel's graceful stop sleeps a
   * second at a time.
   */
  static void awaitIdle(CamelContext ctx, List<String> ids, long maxNanos) {
    if (ids.isEmpty()) {
      return;
    }
    org.apache.camel.spi.InflightRepository inflight = ctx.getInflightRepository();
    long deadline =
        System.nanoTime()
            + Math.min(
                maxNanos,
                ctx.getShutdownStrategy()
                    .getTimeUnit()
                    .toNanos(ctx.getShutdownStrategy().getTimeout()));
    int quietChecks = 0;
    while (quietChecks < 2 && System.nanoTime() < deadline) {
      boolean any = ids.stream().anyMatch(id -> inflight.size(id) > 0);
      quietChecks = any ? 0 : quietChecks + 1;
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** What {@link #quiesce} changed, undone on close. */
  static final class Quiet implements AutoCloseable {
    final long started;
    final long quietMillis;
    private final CamelContext ctx;
    private final List<org.apache.camel.component.seda.SedaEndpoint> purging;
    private final List<org.apache.camel.Consumer> suspended;
    private final AutoCloseable pause;
    private final List<Aside> aside;
    private final List<org.twiliocrm.outbound.OutboxClaimer> claimers;

    Quiet(
        CamelContext ctx,
        long started,
        long quietMillis,
        List<org.apache.camel.component.seda.SedaEndpoint> purging,
        List<org.apache.camel.Consumer> suspended,
        AutoCloseable pause,
        List<Aside> aside,
        List<org.twiliocrm.outbound.OutboxClaimer> claimers) {
      this.ctx = ctx;
      this.started = started;
      this.quietMillis = quietMillis;
      this.purging = purging;
      this.suspended = suspended;
      this.pause = pause;
      this.aside = aside;
      this.claimers = claimers;
    }

    /** How many queued exchanges were set aside. */
    int setAside() {
      return aside.stream().mapToInt(a -> a.held().size()).sum();
    }

    @Override
    public void close() {
      purging.forEach(e -> e.setPurgeWhenStopping(true));
      // The rows set aside go to the queue the new route consumes (Camel shares one queue per
      // name, but a rebuilt endpoint is looked up rather than assumed), before the routes that
      // fill it resume, so they keep their place ahead of newly claimed rows.
      for (Aside a : aside) {
        if (a.held().isEmpty()) {
          continue;
        }
        java.util.concurrent.BlockingQueue<org.apache.camel.Exchange> to = a.from().getQueue();
        for (Route r : ctx.getRoutes()) {
          if (r.getEndpoint() instanceof org.apache.camel.component.seda.SedaEndpoint s
              && s.getName().equals(a.from().getName())) {
            to = s.getQueue();
          }
        }
        int lost = 0;
        for (org.apache.camel.Exchange x : a.held()) {
          if (!to.offer(x)) {
            lost++;
          }
        }
        if (lost > 0) {
          // (only if the queue filled up meanwhile: these rows are sent after their lease expires)
          LOG.warn(
              "{} exchanges set aside during a reload did not fit back into seda:{}",
              lost,
              a.from().getName());
        }
      }
      claimers.forEach(org.twiliocrm.outbound.OutboxClaimer::resume);
      // a route the loader did not replace (the file failed before it got there) runs on, and
      // the routes that fill a rebuilt queue start again
      for (org.apache.camel.Consumer c : suspended) {
        if (c instanceof org.apache.camel.support.service.ServiceSupport s && s.isSuspended()) {
          try {
            org.apache.camel.support.service.ServiceHelper.resumeService(c);
          } catch (RuntimeException e) {
            LOG.warn("Resuming a route's consumer after a reload failed: {}", e.toString());
          }
        }
      }
      if (pause != null) {
        try {
          pause.close();
        } catch (Exception e) {
          LOG.debug("Resuming webhooks failed: {}", e.toString());
        }
      }
    }
  }

  /** Loads {@code text} as the file's routes, replacing those with the same ids. */
  private static Set<String> load(CamelContext ctx, Path file, String text) throws Exception {
    Resource r = ResourceHelper.fromString("file:" + file, text);
    return PluginHelper.getRoutesLoader(ctx).updateRoutes(Set.of(r));
  }

  private static Set<String> routeIds(CamelContext ctx, Path file) {
    Set<String> ids = new HashSet<>();
    String loc = "file:" + file;
    for (Route r : ctx.getRoutes()) {
      Resource res = r.getSourceResource();
      if (res != null && loc.equals(res.getLocation())) {
        ids.add(r.getRouteId());
      }
    }
    return ids;
  }

  private static void removeRoute(CamelContext ctx, String id) {
    try {
      ctx.getRouteController().stopRoute(id);
      ctx.removeRoute(id);
    } catch (Exception e) {
      LOG.warn("Removing route {} failed: {}", id, e.toString());
    }
  }

  private static int lineOf(Throwable e, String text) {
    for (Throwable c = e; c != null && c.getCause() != c; c = c.getCause()) {
      if (c instanceof MarkedYamlEngineException m) {
        return m.getProblemMark().map(x -> x.getLine() + 1).orElse(0);
      }
      if (c instanceof FailedToCreateRouteException f && f.getRouteId() != null) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
          if (lines[i].matches(
              "\\s*-?\\s*id:\\s*['\"]?"
                  + java.util.regex.Pattern.quote(f.getRouteId())
                  + "['\"]?\\s*")) {
            return i + 1;
          }
        }
      }
    }
    return 0;
  }

  /**
   * Files another loader owns (templates/, the governance policy): an edit makes it reload at once
   * instead of at its next interval. The loader keeps the last good version on a broken edit; its
   * problem (each line {@code file:line: ...}) is reported here as the rejection.
   */
  static Handler reloadNow(Runnable reload, java.util.function.Supplier<String> problem) {
    return (file, text, previous) -> {
      reload.run();
      String p = problem.get();
      if (p != null && !p.isBlank()) {
        java.util.regex.Pattern at = java.util.regex.Pattern.compile("^\\s*(\\S+?):(\\d+): (.*)$");
        List<Finding> out = new ArrayList<>();
        // one problem a line (templates), or "; "-joined (the policy loader)
        for (String line : p.split("\\R|; (?=\\S+:\\d+: )")) {
          if (line.isBlank()) {
            continue;
          }
          java.util.regex.Matcher m = at.matcher(line);
          out.add(
              m.matches()
                  ? new Finding(Path.of(m.group(1)), Integer.parseInt(m.group(2)), m.group(3))
                  : new Finding(file, 0, line.trim()));
        }
        throw new Rejected(out);
      }
    };
  }

  /** The CRM send rules: checked against the schema and the loader; taken over only when good. */
  static Handler rules(SendRules live, String defaultChannel) {
    return (file, text, previous) -> {
      try {
        live.replaceWith(SendRules.loadChecked(file, defaultChannel));
      } catch (SendRules.RulesException e) {
        throw new Rejected(e.findings());
      } catch (IOException e) {
        throw new Rejected(List.of(new Finding(file, 0, e.getMessage())));
      }
    };
  }
}
