package org.twiliocrm.outbound;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import org.twiliocrm.governance.QuietHours;
import org.twiliocrm.governance.RecipientPolicy;
import org.twiliocrm.governance.RecipientZones;

/**
 * Quiet hours in the recipient's local time: a row of a purpose with a quiet window for its
 * channel, claimed inside that window in any of the number's zones, is held (HELD, QUIET_HOURS)
 * with send_after at the latest opening. A purpose without windows (otp, by default) is never held.
 */
final class QuietHoursCheck implements RecipientCheck {
  @Override
  public String name() {
    return "quiet-hours";
  }

  @Override
  public void apply(RecipientBatch b) {
    for (RecipientBatch.Item i : b.open()) {
      List<RecipientPolicy.QuietWindow> windows = i.purpose.quietFor(i.channel);
      if (windows.isEmpty()) {
        continue;
      }
      List<ZoneId> zones = RecipientZones.of(i.number);
      if (zones.isEmpty()) {
        zones = List.of(b.policy.fallbackZone());
      }
      Optional<Instant> until = QuietHours.heldUntil(zones, windows, b.now);
      if (until.isPresent()) {
        b.hold(
            name(),
            i,
            "QUIET_HOURS",
            "quiet hours for "
                + i.purposeName
                + " in the recipient's local time ("
                + (zones.size() == 1 ? zones.get(0) : zones.size() + " zones")
                + "); sent from "
                + until.get(),
            until.get());
      }
    }
  }
}
