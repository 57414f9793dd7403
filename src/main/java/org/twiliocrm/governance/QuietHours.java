package org.twiliocrm.governance;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;

/**
 * Whether a send falls in quiet hours in the recipient's local time, and until when. Pure: the
 * caller gives the instant (the outbox's injectable clock), so tests need not wait for 3 a.m.
 */
public final class QuietHours {
  private QuietHours() {}

  /**
   * The instant the send may go, if {@code now} is inside a quiet window in any of the recipient's
   * zones: the latest opening across those zones (the window closed longest). Empty: send now.
   */
  public static Optional<Instant> heldUntil(
      List<ZoneId> zones, List<RecipientPolicy.QuietWindow> windows, Instant now) {
    Instant until = null;
    for (ZoneId z : zones) {
      ZonedDateTime local = now.atZone(z);
      LocalTime t = local.toLocalTime();
      for (RecipientPolicy.QuietWindow w : windows) {
        if (!w.contains(t)) {
          continue;
        }
        // The window's end: later today, or tomorrow when it spans midnight and we are before it.
        ZonedDateTime open = local.toLocalDate().atTime(w.to()).atZone(z);
        if (!open.isAfter(local)) {
          open = local.toLocalDate().plusDays(1).atTime(w.to()).atZone(z);
        }
        Instant o = open.toInstant();
        if (until == null || o.isAfter(until)) {
          until = o;
        }
      }
    }
    return Optional.ofNullable(until);
  }
}
