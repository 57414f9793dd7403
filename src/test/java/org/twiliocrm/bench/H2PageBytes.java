package org.twiliocrm.bench;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import org.h2.mvstore.FileStore;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.Page;

/**
 * A java agent for {@link LoopBench} ({@code H2_PAGES=1}): counts what H2 writes at its stores, per
 * map (a table's rows, an index, an open transaction's undo log, the store's own layout), so a run
 * says which tables and indexes its bytes written per message come from. H2's own counters give
 * only the total.
 *
 * <p>It wraps {@code org.h2.mvstore.Page.write} (H2 2.x; the page serialiser a store calls once per
 * changed page) and adds up the bytes each call put in the store's buffer. Bench-only: it reads
 * H2's internals and slows every store a little.
 *
 * <p>Control, through files in the directory given as the agent's argument: {@code reset} zeroes
 * the counts (the bench writes it when it starts inserting), {@code dump} writes {@code
 * h2-pages.txt} (one line per map: name, page writes, keys, bytes) and is then deleted.
 */
public final class H2PageBytes {
  private H2PageBytes() {}

  /** Page writes, keys and bytes per map name (leaf and inner pages together). */
  static final Map<String, long[]> COUNTS = new ConcurrentHashMap<>();

  public static void premain(String dir, Instrumentation inst) {
    new AgentBuilder.Default()
        .disableClassFormatChanges()
        .with(AgentBuilder.Listener.StreamWriting.toSystemError().withErrorsOnly())
        // Verifying this class loads H2's Page (the advice's types) before the agent is installed:
        // retransform it rather than wait for it to load.
        .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
        .type(named("org.h2.mvstore.Page"))
        .transform(
            (b, type, loader, module, domain) ->
                b.visit(Advice.to(Hook.class).on(named("write").and(takesArguments(1)))))
        .installOn(inst);
    Path control = Path.of(dir);
    Thread t =
        new Thread(
            () -> {
              while (true) {
                try {
                  if (Files.deleteIfExists(control.resolve("reset"))) {
                    COUNTS.clear();
                  }
                  if (Files.exists(control.resolve("dump"))) {
                    dump(control.resolve("h2-pages.txt"));
                    Files.delete(control.resolve("dump"));
                  }
                  // A bench tool polling a control file, not a test waiting on a condition.
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                } catch (IOException e) {
                  System.err.println("H2PageBytes: " + e);
                }
              }
            },
            "h2-page-bytes");
    t.setDaemon(true);
    t.start();
  }

  private static void dump(Path to) throws IOException {
    List<String> lines = new ArrayList<>();
    COUNTS.forEach((k, v) -> lines.add(k + " " + v[0] + " " + v[1] + " " + v[2]));
    Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
    Files.write(tmp, lines);
    Files.move(tmp, to, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Called from the advice inlined into {@code Page.write}. */
  public static void count(Page<?, ?> page, int bytes) {
    MVMap<?, ?> map = page.map;
    String name = map.getName();
    long[] c = COUNTS.computeIfAbsent(name == null ? "(layout)" : name, k -> new long[3]);
    synchronized (c) {
      c[0]++;
      c[1] += page.getKeyCount();
      c[2] += bytes;
    }
  }

  /** The advice: the buffer's position before the page is written, and the bytes it took. */
  public static final class Hook {
    private Hook() {}

    @Advice.OnMethodEnter
    public static int enter(@Advice.Argument(0) FileStore<?>.PageSerializationManager psm) {
      return psm.getBuffer().position();
    }

    @Advice.OnMethodExit
    public static void exit(
        @Advice.This Page<?, ?> page,
        @Advice.Argument(0) FileStore<?>.PageSerializationManager psm,
        @Advice.Enter int start) {
      H2PageBytes.count(page, psm.getBuffer().position() - start);
    }
  }

  /**
   * Writes the agent jar into {@code dir}: this class and its advice, with byte-buddy on its class
   * path (the connector's jar has H2, not byte-buddy).
   */
  static Path agentJar(Path dir) throws IOException {
    Path classes;
    Path byteBuddy;
    try {
      classes =
          Path.of(H2PageBytes.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      byteBuddy =
          Path.of(
              net.bytebuddy.ByteBuddy.class
                  .getProtectionDomain()
                  .getCodeSource()
                  .getLocation()
                  .toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(new Attributes.Name("Premain-Class"), H2PageBytes.class.getName());
    m.getMainAttributes().put(new Attributes.Name("Can-Retransform-Classes"), "true");
    m.getMainAttributes().put(Attributes.Name.CLASS_PATH, byteBuddy.toUri().toString());
    Path jar = dir.resolve("h2-page-bytes.jar");
    String pkg = H2PageBytes.class.getPackageName().replace('.', '/');
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m);
        var files = Files.list(classes.resolve(pkg))) {
      for (Path f :
          files.filter(f -> f.getFileName().toString().startsWith("H2PageBytes")).toList()) {
        out.putNextEntry(new JarEntry(pkg + "/" + f.getFileName()));
        out.write(Files.readAllBytes(f));
        out.closeEntry();
      }
    }
    return jar;
  }
}
