package org.twiliocrm.outbound;

import java.util.Set;

/**
 * Geo permissions, like Twilio's: a channel listed under {@code geo-permissions} reaches only the
 * countries listed for it. Otherwise FAILED, GEO_NOT_ALLOWED (final: retrying will not move the
 * recipient).
 */
final class GeoPermissionCheck implements RecipientCheck {
  @Override
  public String name() {
    return "geo";
  }

  @Override
  public void apply(RecipientBatch b) {
    if (b.policy.geo().isEmpty()) {
      return;
    }
    for (RecipientBatch.Item i : b.open()) {
      Set<String> allowed = b.policy.geo().get(i.channel);
      if (allowed == null) {
        continue;
      }
      String region = i.work.getToRegion();
      if (region == null || !allowed.contains(region)) {
        b.fail(
            name(),
            i,
            "GEO_NOT_ALLOWED",
            "destination country "
                + (region == null ? "unknown" : region)
                + " is not allowed for "
                + i.channel
                + " (allowed: "
                + new java.util.TreeSet<>(allowed)
                + ")");
      }
    }
  }
}
