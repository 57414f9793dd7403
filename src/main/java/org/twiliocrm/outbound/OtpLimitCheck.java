package org.twiliocrm.outbound;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.twiliocrm.governance.RecipientPolicy;

/**
 * Against SMS pumping: OTP sends (every verify row, and rows of the purposes under {@code
 * otp-limits}) per number and per number prefix in a rolling window, counted by {@link RecentSends}
 * on the shared database. Beyond either limit: FAILED, OTP_RATE_LIMITED, counted in the metric
 * {@code twiliocrm.governance.otp.rate.limited} (tag {@code limit}: number or prefix).
 */
final class OtpLimitCheck implements RecipientCheck {
  private final RecentSends recent;
  private final RecipientGate.Meters meters;

  OtpLimitCheck(RecentSends recent, RecipientGate.Meters meters) {
    this.recent = recent;
    this.meters = meters;
  }

  @Override
  public String name() {
    return "otp-limit";
  }

  @Override
  public void apply(RecipientBatch b) throws SQLException {
    RecipientPolicy.OtpLimits limits = b.policy.otp();
    if (limits == null) {
      return;
    }
    List<RecipientBatch.Item> otp = new ArrayList<>();
    for (RecipientBatch.Item i : b.open()) {
      if (i.channel.equals("verify") || limits.purposes().contains(i.purposeName)) {
        otp.add(i);
      }
    }
    if (otp.isEmpty()) {
      return;
    }
    List<Long> ids = new ArrayList<>();
    for (RecipientBatch.Item i : b.items) {
      ids.add(i.work.getRow().id());
    }
    String filter =
        "(channel = 'verify'"
            + (limits.purposes().isEmpty()
                ? ""
                : " OR "
                    + RecentSends.purposeSql(b.policy)
                    + " IN ("
                    + RecentSends.inList(limits.purposes())
                    + ")")
            + ")";
    Map<String, RecentSends.Count> perNumber = Map.of();
    if (limits.perNumber() != null) {
      Set<String> numbers = new LinkedHashSet<>();
      otp.forEach(i -> numbers.add(i.number));
      perNumber = recent.byNumber(numbers, filter, limits.perNumber().window(), ids);
    }
    Map<String, Long> perPrefix = new HashMap<>();
    if (limits.perPrefix() != null) {
      for (RecipientBatch.Item i : otp) {
        String p = prefix(i.number, limits.prefixDigits());
        if (!perPrefix.containsKey(p)) {
          perPrefix.put(p, recent.byPrefix(p, filter, limits.perPrefix().window(), ids));
        }
      }
    }
    Map<String, Integer> numberPassed = new HashMap<>();
    Map<String, Integer> prefixPassed = new HashMap<>();
    for (RecipientBatch.Item i : otp) {
      if (limits.perNumber() != null) {
        RecentSends.Count c = perNumber.get(i.number);
        long n = (c == null ? 0 : c.count()) + numberPassed.getOrDefault(i.number, 0);
        if (n >= limits.perNumber().max()) {
          limited(b, i, "number", n, limits.perNumber(), "to this number");
          continue;
        }
      }
      String p = prefix(i.number, limits.prefixDigits());
      if (limits.perPrefix() != null) {
        long n = perPrefix.get(p) + prefixPassed.getOrDefault(p, 0);
        if (n >= limits.perPrefix().max()) {
          limited(b, i, "prefix", n, limits.perPrefix(), "to numbers starting " + p);
          continue;
        }
      }
      numberPassed.merge(i.number, 1, Integer::sum);
      prefixPassed.merge(p, 1, Integer::sum);
    }
  }

  private void limited(
      RecipientBatch b,
      RecipientBatch.Item i,
      String limit,
      long n,
      RecipientPolicy.Limit l,
      String what) {
    b.fail(
        name(),
        i,
        "OTP_RATE_LIMITED",
        n + " OTP send(s) " + what + " in the last " + l.window() + " (limit " + l.max() + ")");
    meters.otpLimited(limit);
  }

  /** The first {@code digits} digits of an E.164 number, with its +. */
  static String prefix(String number, int digits) {
    String d = number.startsWith("+") ? number.substring(1) : number;
    return "+" + d.substring(0, Math.min(d.length(), digits));
  }
}
