package org.twiliocrm.governance;

import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A loaded, checked {@code governance/recipients.yaml}: what a recipient must have agreed to, when
 * and how often they may be reached, and where (issue 14, docs/governance.md). Immutable: a reload
 * builds a new one and swaps it in whole.
 *
 * @param location where it was read from
 * @param hash SHA-256 of the file's bytes
 * @param defaultPurpose the purpose of a row that names none (a verify row: {@code otp} if
 *     declared)
 * @param purposes the declared purposes by name
 * @param geo destination countries allowed per channel (a channel not listed: any country)
 * @param otp limits on OTP/verify sends against SMS pumping; null: none
 * @param doubleOptIn the "reply YES to confirm" flow; null: an opt-in counts when recorded
 * @param crm the CRM fields and objects whose changes are consent events
 * @param fallbackZone the time zone of a number libphonenumber cannot place
 */
public record RecipientPolicy(
    String location,
    String hash,
    String defaultPurpose,
    Map<String, Purpose> purposes,
    Map<String, Set<String>> geo,
    OtpLimits otp,
    DoubleOptIn doubleOptIn,
    List<CrmConsent> crm,
    ZoneId fallbackZone) {

  /** The purpose every consent row of this kind applies to: a STOP from a phone covers all. */
  public static final String ALL_PURPOSES = "*";

  /** What a send of one purpose on one channel needs from the recipient. */
  public enum ConsentRule {
    /** Nothing: sent even after an opt-out (only for what the law calls strictly necessary). */
    NONE,
    /** No opt-out on record. */
    NO_OPT_OUT,
    /** A recorded opt-in, and no later opt-out. */
    OPT_IN
  }

  /**
   * @param consent the rule per channel; key {@code default} for channels not named
   * @param quietHours local-time windows in which nothing of this purpose is sent
   * @param cap at most N sends per recipient per rolling window; null: no cap
   */
  public record Purpose(
      String name,
      int line,
      Map<String, ConsentRule> consent,
      List<QuietWindow> quietHours,
      FrequencyCap cap) {

    public ConsentRule consentFor(String channel) {
      ConsentRule r = consent.get(channel);
      return r != null ? r : consent.getOrDefault("default", ConsentRule.NO_OPT_OUT);
    }

    /** The quiet windows that apply to a channel. */
    public List<QuietWindow> quietFor(String channel) {
      if (quietHours.isEmpty()) {
        return List.of(); // most purposes: no stream per row
      }
      return quietHours.stream()
          .filter(w -> w.channels().isEmpty() || w.channels().contains(channel))
          .toList();
    }
  }

  /**
   * Quiet from {@code from} until {@code to} in the recipient's local time; {@code from > to} spans
   * midnight (21:00-08:00).
   *
   * @param channels the channels it applies to (empty: all)
   */
  public record QuietWindow(LocalTime from, LocalTime to, Set<String> channels, int line) {
    public boolean contains(LocalTime t) {
      return from.isBefore(to)
          ? !t.isBefore(from) && t.isBefore(to)
          : !t.isBefore(from) || t.isBefore(to);
    }
  }

  /**
   * @param max sends allowed in the window (at least 1)
   * @param over what happens to a row over the cap: HOLD until allowed, or FAIL
   */
  public record FrequencyCap(int max, Duration window, Over over) {
    public enum Over {
      HOLD,
      FAIL
    }
  }

  /** At most {@code max} in a rolling {@code window}. */
  public record Limit(int max, Duration window) {}

  /**
   * @param purposes the purposes the limits apply to, besides every row on the verify channel
   * @param perNumber per recipient number
   * @param perPrefix per number prefix of {@code prefixDigits} digits (pumping walks a range)
   */
  public record OtpLimits(
      Set<String> purposes, Limit perNumber, Limit perPrefix, int prefixDigits) {}

  /**
   * @param purposes purposes whose opt-in must be confirmed by a reply
   * @param window how long a confirmation may take
   * @param prompt the message asking for it
   * @param channel the channel the prompt goes out on
   * @param sender the prompt's sender: a number, or a Messaging Service SID (MG...)
   */
  public record DoubleOptIn(
      Set<String> purposes, Duration window, String prompt, String channel, String sender) {}

  /**
   * A CRM object whose change is a consent event.
   *
   * @param object the sObject (Contact, Lead, or a consent object)
   * @param field the field carrying consent
   * @param optOutWhen the field value meaning "opted out" ("true" for a checkbox); any other value
   *     is an opt-in when {@code optInWhen} is null or matches
   * @param optInWhen the value meaning opted in; null: any value but {@code optOutWhen}
   * @param phoneFields fields with the number, in order; looked up by SOQL when not in the event
   * @param purpose the purpose it sets ({@code *}: all)
   */
  public record CrmConsent(
      String object,
      String field,
      String optOutWhen,
      String optInWhen,
      List<String> phoneFields,
      String purpose,
      int line) {}

  public Purpose purpose(String name) {
    return purposes.get(name);
  }
}
