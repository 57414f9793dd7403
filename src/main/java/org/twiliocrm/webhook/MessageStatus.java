package org.twiliocrm.webhook;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The forward-only order of message and call statuses. Twilio does not order its callbacks: a
 * {@code delivered} may arrive before {@code sent}, and duplicates happen. A status only replaces
 * the current one when it is later in this order, a final status (undelivered, failed, canceled)
 * never changes, and {@code read} only follows {@code delivered} (or an earlier state).
 */
public final class MessageStatus {
  private static final Map<String, Integer> RANK =
      Map.ofEntries(
          Map.entry("accepted", 0),
          Map.entry("scheduled", 0),
          Map.entry("queued", 1),
          Map.entry("sending", 2),
          Map.entry("receiving", 2),
          Map.entry("sent", 3),
          Map.entry("partially_delivered", 4),
          Map.entry("delivered", 5),
          Map.entry("received", 5),
          Map.entry("undelivered", 5),
          Map.entry("failed", 5),
          Map.entry("canceled", 5),
          Map.entry("read", 6),
          // Voice
          Map.entry("initiated", 1),
          Map.entry("ringing", 2),
          Map.entry("in-progress", 3),
          Map.entry("answered", 3),
          Map.entry("completed", 5),
          Map.entry("busy", 5),
          Map.entry("no-answer", 5));

  /** States nothing may follow. */
  private static final Set<String> TERMINAL =
      Set.of("undelivered", "failed", "canceled", "read", "busy", "no-answer", "completed");

  private MessageStatus() {}

  public static boolean known(String status) {
    return status != null && RANK.containsKey(status.toLowerCase(Locale.ROOT));
  }

  /** Whether a message in {@code from} (null = not seen yet) may move to {@code to}. */
  public static boolean canMove(String from, String to) {
    if (to == null || !known(to)) {
      return false;
    }
    if (from == null) {
      return true;
    }
    String f = from.toLowerCase(Locale.ROOT);
    String t = to.toLowerCase(Locale.ROOT);
    if (!known(f)) {
      return true;
    }
    if (TERMINAL.contains(f)) {
      return false;
    }
    if ("read".equals(t)) {
      return !Set.of("undelivered", "failed", "canceled").contains(f);
    }
    return RANK.get(t) > RANK.get(f);
  }

  /**
   * {@link #predecessors} of every status as Twilio spells it (lower case), worked out once: the
   * stored-event processor asks twice per status callback, and the computation (every status
   * through {@link #canMove}) was about a sixth of its CPU in a profile.
   */
  private static final Map<String, List<String>> PREDECESSORS = precompute();

  private static Map<String, List<String>> precompute() {
    Map<String, List<String>> out = new java.util.HashMap<>();
    for (String s : RANK.keySet()) {
      out.put(s, List.copyOf(computePredecessors(s)));
    }
    return Map.copyOf(out);
  }

  /**
   * Every status a message may leave for {@code to}: the SQL guard of a forward-only update. The
   * list is not to be changed.
   */
  public static List<String> predecessors(String to) {
    List<String> known = to == null ? null : PREDECESSORS.get(to);
    return known != null ? known : computePredecessors(to);
  }

  private static List<String> computePredecessors(String to) {
    List<String> out = new ArrayList<>();
    for (String s : RANK.keySet()) {
      if (canMove(s, to)) {
        out.add(s);
      }
    }
    out.sort(null);
    return out;
  }

  /**
   * The statuses a message or call passes through on its way to a final one (accepted, scheduled,
   * queued, sending, receiving, sent; a call's initiated, ringing, in-progress, answered), sorted:
   * the write-back lets these wait a little for the status that replaces them.
   */
  public static List<String> interim() {
    return INTERIM;
  }

  private static final List<String> INTERIM =
      RANK.entrySet().stream()
          .filter(e -> e.getValue() <= 3)
          .map(Map.Entry::getKey)
          .sorted()
          .toList();

  public static boolean isFinal(String status) {
    return status != null && RANK.getOrDefault(status.toLowerCase(Locale.ROOT), 0) >= 5;
  }
}
