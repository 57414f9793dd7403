package org.twiliocrm.governance;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Quiet hours in the recipient's local time, from a given instant (no waiting for 3 a.m.). */
class QuietHoursTest {
  private static final List<RecipientPolicy.QuietWindow> NIGHT =
      List.of(
          new RecipientPolicy.QuietWindow(LocalTime.of(21, 0), LocalTime.of(8, 0), Set.of(), 1));

  @Test
  void threeInTheMorningInBerlinWaitsUntilEightThere() {
    // 02:00Z in December is 03:00 in Berlin (CET, UTC+1)
    assertThat(
            QuietHours.heldUntil(
                List.of(ZoneId.of("Europe/Berlin")), NIGHT, Instant.parse("2026-12-02T02:00:00Z")))
        .contains(Instant.parse("2026-12-02T07:00:00Z"));
  }

  @Test
  void theEveningPartOfAWindowSpanningMidnightOpensTheNextMorning() {
    assertThat(
            QuietHours.heldUntil(
                List.of(ZoneId.of("Europe/Berlin")), NIGHT, Instant.parse("2026-12-02T21:30:00Z")))
        .contains(Instant.parse("2026-12-03T07:00:00Z"));
  }

  @Test
  void outsideTheWindowNothingIsHeld() {
    assertThat(
            QuietHours.heldUntil(
                List.of(ZoneId.of("Europe/Berlin")), NIGHT, Instant.parse("2026-12-02T12:00:00Z")))
        .isEmpty();
  }

  @Test
  void aCountryWithSeveralZonesWaitsForTheZoneClosedLongest() {
    // 13:30Z: 08:30 in New York (open), 05:30 in Los Angeles (quiet until 16:00Z), 03:30 in
    // Honolulu (quiet until 18:00Z): the row waits for Honolulu.
    List<ZoneId> us = RecipientZones.of("+18005550100");
    assertThat(us).contains(ZoneId.of("America/New_York"), ZoneId.of("Pacific/Honolulu"));
    assertThat(QuietHours.heldUntil(us, NIGHT, Instant.parse("2026-12-02T13:30:00Z")))
        .contains(Instant.parse("2026-12-02T18:00:00Z"));
  }

  @Test
  void aDaylightSavingChangeMovesTheOpeningInUtc() {
    // Berlin switches to CEST on 2026-03-29: 08:00 local is 06:00Z that day.
    assertThat(
            QuietHours.heldUntil(
                List.of(ZoneId.of("Europe/Berlin")), NIGHT, Instant.parse("2026-03-29T03:00:00Z")))
        .contains(Instant.parse("2026-03-29T06:00:00Z"));
  }

  @Test
  void numbersMapToTheirCountrysZones() {
    assertThat(RecipientZones.of("+4930123456")).contains(ZoneId.of("Europe/Berlin"));
    assertThat(RecipientZones.of("whatsapp:+4930123456")).contains(ZoneId.of("Europe/Berlin"));
    assertThat(RecipientZones.of("not a number")).isEmpty();
  }
}
