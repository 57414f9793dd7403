package org.twiliocrm.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads a JFR recording of the whole loop (see {@link LoopBench}) and prints where the samples are:
 * by thread group, by top frame (self), by method anywhere on the stack (inclusive, counted once
 * per sample), allocation by top frame, and the exceptions thrown. Shares of samples are relative,
 * so they hold on a machine shared with other work where absolute times do not.
 *
 * <p>Usage: {@code JfrTop recording.jfr [rows] [top=25] [filter]}: with rows, per-message counts;
 * with a filter (a substring of a frame), only samples whose stack contains it.
 */
public final class JfrTop {
  private JfrTop() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    long rows = args.length > 1 ? Long.parseLong(args[1]) : 0;
    int top = args.length > 2 ? Integer.parseInt(args[2]) : 25;
    String filter = args.length > 3 ? args[3] : null;
    Map<String, Long> threads = new HashMap<>();
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> inclusive = new HashMap<>();
    Map<String, Long> alloc = new HashMap<>();
    Map<String, Long> throwsAt = new HashMap<>();
    long samples = 0;
    long allocBytes = 0;
    long throwables = -1;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      String type = e.getEventType().getName();
      switch (type) {
        case "jdk.ExecutionSample" -> {
          RecordedStackTrace st = e.getStackTrace();
          if (st == null || st.getFrames().isEmpty()) {
            continue;
          }
          List<RecordedFrame> frames = st.getFrames();
          if (filter != null && frames.stream().noneMatch(f -> name(f).contains(filter))) {
            continue;
          }
          samples++;
          RecordedThread t = e.getThread("sampledThread");
          threads.merge(group(t == null ? "?" : t.getJavaName()), 1L, Long::sum);
          self.merge(name(frames.get(0)), 1L, Long::sum);
          Set<String> seen = new HashSet<>();
          for (RecordedFrame f : frames) {
            String n = name(f);
            if (seen.add(n)) {
              inclusive.merge(n, 1L, Long::sum);
            }
          }
        }
        case "jdk.ObjectAllocationSample" -> {
          RecordedStackTrace st = e.getStackTrace();
          long w = e.getLong("weight");
          allocBytes += w;
          if (st != null && !st.getFrames().isEmpty()) {
            alloc.merge(firstOwn(st.getFrames()), w, Long::sum);
          }
        }
        case "jdk.ExceptionStatistics" ->
            throwables = Math.max(throwables, e.getLong("throwables"));
        case "jdk.JavaErrorThrow", "jdk.JavaExceptionThrow" -> {
          RecordedStackTrace st = e.getStackTrace();
          String where =
              st == null ? "?" : st.getFrames().size() > 1 ? firstOwn(st.getFrames()) : "?";
          throwsAt.merge(e.getClass("thrownClass").getName() + " at " + where, 1L, Long::sum);
        }
        default -> {}
      }
    }
    System.out.printf(
        "%,d execution samples%s%n", samples, filter == null ? "" : " containing " + filter);
    print("by thread group", threads, samples, top);
    print("self (top frame)", self, samples, top);
    print("inclusive (anywhere on the stack)", inclusive, samples, top * 2);
    System.out.printf(
        "%nallocation sampled: %,d MB%s%n",
        allocBytes >> 20,
        rows > 0 ? String.format(" = %,d bytes per message", allocBytes / rows) : "");
    print("allocation by first non-JDK frame", alloc, allocBytes, top);
    if (throwables >= 0) {
      System.out.printf(
          "%nthrowables created since JVM start (jdk.ExceptionStatistics): %,d%n", throwables);
    }
    if (!throwsAt.isEmpty()) {
      print("errors thrown (jdk.JavaErrorThrow)", throwsAt, 0, top);
    }
  }

  private static void print(String title, Map<String, Long> m, long total, int top) {
    System.out.printf("%n%s:%n", title);
    m.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(top)
        .forEach(
            e ->
                System.out.printf(
                    "  %5.1f%%  %,10d  %s%n",
                    total > 0 ? 100.0 * e.getValue() / total : 0, e.getValue(), e.getKey()));
  }

  private static String name(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  /** The first frame outside java.*, jdk.*, sun.*: who asked for it. */
  private static String firstOwn(List<RecordedFrame> frames) {
    for (RecordedFrame f : frames) {
      String n = name(f);
      if (!n.startsWith("java.") && !n.startsWith("jdk.") && !n.startsWith("sun.")) {
        return n;
      }
    }
    return name(frames.get(0));
  }

  /** Thread names with their numbers dropped, so pools read as one group. */
  private static String group(String thread) {
    return thread.replaceAll("[0-9]+", "#");
  }
}
