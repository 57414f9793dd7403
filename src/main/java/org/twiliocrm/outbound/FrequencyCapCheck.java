package org.twiliocrm.outbound;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.twiliocrm.governance.RecipientPolicy;

/**
 * Frequency caps: at most N sends per recipient per purpose in a rolling window (counted by {@link
 * RecentSends}, plus the rows of this batch already let through, in id order). Over the cap a row
 * is held (HELD, FREQUENCY_CAP) until the oldest counted send leaves the window, or fails (FAILED,
 * FREQUENCY_CAP), as the purpose's {@code over} says. Runs last, so rows other checks stop do not
 * use up the cap.
 */
final class FrequencyCapCheck implements RecipientCheck {
  private final RecentSends recent;

  FrequencyCapCheck(RecentSends recent) {
    this.recent = recent;
  }

  @Override
  public String name() {
    return "frequency-cap";
  }

  @Override
  public void apply(RecipientBatch b) throws SQLException {
    Map<String, List<RecipientBatch.Item>> byPurpose = new LinkedHashMap<>();
    List<Long> ids = new ArrayList<>();
    for (RecipientBatch.Item i : b.items) {
      ids.add(i.work.getRow().id());
    }
    for (RecipientBatch.Item i : b.open()) {
      if (i.purpose.cap() != null) {
        byPurpose.computeIfAbsent(i.purposeName, k -> new ArrayList<>()).add(i);
      }
    }
    String purposeSql = RecentSends.purposeSql(b.policy);
    for (Map.Entry<String, List<RecipientBatch.Item>> e : byPurpose.entrySet()) {
      RecipientPolicy.FrequencyCap cap = e.getValue().get(0).purpose.cap();
      Set<String> numbers = new LinkedHashSet<>();
      e.getValue().forEach(i -> numbers.add(i.number));
      Map<String, RecentSends.Count> counts =
          recent.byNumber(numbers, purposeSql + " = '" + e.getKey() + "'", cap.window(), ids);
      Map<String, Integer> passed = new HashMap<>();
      for (RecipientBatch.Item i : e.getValue()) {
        RecentSends.Count c = counts.get(i.number);
        long n = (c == null ? 0 : c.count()) + passed.getOrDefault(i.number, 0);
        if (n < cap.max()) {
          passed.merge(i.number, 1, Integer::sum);
          continue;
        }
        String why =
            n + " " + e.getKey() + " send(s) in the last " + cap.window() + " (cap " + cap.max();
        if (cap.over() == RecipientPolicy.FrequencyCap.Over.FAIL) {
          b.fail(name(), i, "FREQUENCY_CAP", why + ")");
        } else {
          java.time.Instant until =
              (c == null || c.oldest() == null ? b.now : c.oldest()).plus(cap.window());
          b.hold(name(), i, "FREQUENCY_CAP", why + "); sent from " + until, until);
        }
      }
    }
  }
}
