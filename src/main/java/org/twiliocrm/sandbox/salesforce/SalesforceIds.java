package org.twiliocrm.sandbox.salesforce;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Salesforce-shaped record ids: 3-char key prefix, 2-char pod, a reserved 0, a base-62 counter,
 * then the 3-character case-safe suffix computed as Salesforce does.
 */
public final class SalesforceIds {
  private static final String BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final String SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

  private final AtomicLong counter;

  public SalesforceIds(long start) {
    this.counter = new AtomicLong(start);
  }

  /** The next 18-character id for an object with the given key prefix. */
  public String next(String keyPrefix) {
    long n = counter.incrementAndGet();
    StringBuilder digits = new StringBuilder();
    do {
      digits.append(BASE62.charAt((int) (n % 62)));
      n /= 62;
    } while (n > 0);
    while (digits.length() < 9) {
      digits.append('0');
    }
    digits.reverse();
    return to18(keyPrefix + "5g0" + digits);
  }

  /** Adds the case-safe suffix to a 15-character id (returns 18-character ids unchanged). */
  public static String to18(String id15) {
    if (id15.length() == 18) {
      return id15;
    }
    if (id15.length() != 15) {
      throw new IllegalArgumentException("id must have 15 characters");
    }
    StringBuilder suffix = new StringBuilder(3);
    for (int chunk = 0; chunk < 3; chunk++) {
      int bits = 0;
      for (int i = 0; i < 5; i++) {
        char c = id15.charAt(chunk * 5 + i);
        if (c >= 'A' && c <= 'Z') {
          bits |= 1 << i;
        }
      }
      suffix.append(SUFFIX_CHARS.charAt(bits));
    }
    return id15 + suffix;
  }

  /** True for a well-formed 15 or 18 character id. */
  public static boolean looksLikeId(String s) {
    return s != null
        && (s.length() == 15 || s.length() == 18)
        && s.chars().allMatch(c -> BASE62.indexOf(c) >= 0);
  }
}
