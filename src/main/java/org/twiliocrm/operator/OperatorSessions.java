package org.twiliocrm.operator;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator console's sign-in sessions: a browser signs in once with a user's password and then
 * carries an opaque session id in an HttpOnly, SameSite=Strict cookie instead of a password on
 * every request. Each session has its own CSRF token, which every state-changing request must echo
 * in the {@value #CSRF_HEADER} header (a cross-site page can neither read it nor set the header).
 *
 * <p>Sessions live in this replica's memory: a restart or another replica means signing in again (a
 * Service with session affinity keeps a browser on one replica). They end after {@link #IDLE}
 * without a request, after {@link #ABSOLUTE} in any case, or on sign-out.
 *
 * <p>Failed sign-ins are rate-limited per user name and per client address with token buckets
 * (bucket4j): once a bucket is empty the sign-in is refused before bcrypt runs, so guessing is slow
 * and the refusals cost nothing. HTTP Basic on the other operator endpoints ({@link OperatorGate})
 * counts against the same buckets, so a guesser gains nothing by switching between the two.
 */
public final class OperatorSessions {
  /** The cookie that carries the session id. */
  public static final String COOKIE = "tcop_console";

  /** The header a state-changing request carries the session's CSRF token in. */
  public static final String CSRF_HEADER = "X-CSRF-Token";

  static final Duration IDLE = Duration.ofMinutes(30);
  static final Duration ABSOLUTE = Duration.ofHours(12);
  static final int MAX_SESSIONS = 10_000;

  /** Failed sign-ins allowed per user name, refilled over {@link #FAILURE_WINDOW}. */
  static final int FAILURES_PER_NAME = 5;

  /** Failed sign-ins allowed per client address (several names from one place). */
  static final int FAILURES_PER_ADDRESS = 20;

  static final Duration FAILURE_WINDOW = Duration.ofMinutes(15);
  private static final int MAX_BUCKETS = 10_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A signed-in browser. */
  public static final class Session {
    private final String id;
    private final Operator operator;
    private final String csrf;
    private final Instant created;
    private volatile Instant lastSeen;

    Session(String id, Operator operator, String csrf, Instant created) {
      this.id = id;
      this.operator = operator;
      this.csrf = csrf;
      this.created = created;
      this.lastSeen = created;
    }

    /** The session id: the cookie's value. Never log it. */
    public String id() {
      return id;
    }

    public Operator operator() {
      return operator;
    }

    /** The token state-changing requests must echo in {@value #CSRF_HEADER}. */
    public String csrf() {
      return csrf;
    }

    /** True when {@code header} is this session's CSRF token (constant-time comparison). */
    public boolean csrfMatches(String header) {
      return header != null
          && MessageDigest.isEqual(
              csrf.getBytes(StandardCharsets.UTF_8), header.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** What a sign-in attempt came to. */
  public sealed interface SignIn {
    record Ok(Session session) implements SignIn {}

    record Invalid() implements SignIn {}

    /** Too many failures: refused without checking the password. */
    record Limited(Duration retryAfter) implements SignIn {}
  }

  private final Clock clock;
  private final TimeMeter meter;
  private final Map<String, Session> byId = new ConcurrentHashMap<>();
  private final Map<String, Bucket> failures =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
          return size() > MAX_BUCKETS;
        }
      };

  public OperatorSessions(Clock clock) {
    this.clock = clock;
    this.meter =
        new TimeMeter() {
          @Override
          public long currentTimeNanos() {
            return clock.millis() * 1_000_000L;
          }

          @Override
          public boolean isWallClockBased() {
            return true;
          }
        };
  }

  /**
   * Checks a user's password (bcrypt: slow by design, call it off the event loop) unless this name
   * or address has failed too often, and opens a session when it matches. Only users sign in here;
   * API tokens belong to scripts.
   */
  public SignIn signIn(OperatorCredentials credentials, String name, String password, String from) {
    Duration wait = reservePasswordTry(name, from);
    if (!wait.isZero()) {
      return new SignIn.Limited(wait);
    }
    Optional<Operator> who = credentials.byPassword(name, password);
    if (who.isEmpty()) {
      return new SignIn.Invalid();
    }
    passwordMatched(name, from);
    Operator op = who.get();
    return new SignIn.Ok(open(new Operator(op.name(), op.role(), "session")));
  }

  /**
   * Before a password is checked (the console's sign-in, and HTTP Basic on every other operator
   * endpoint, which share these buckets): counts the try as a failure of this name and of this
   * address, or, when either has no failure left, counts nothing and returns how long until it has
   * one (zero: go ahead). Counted before the check, not after it, so that many tries sent at once
   * cannot all pass while the first ones are still in bcrypt. {@link #passwordMatched} gives the
   * try back.
   */
  public synchronized Duration reservePasswordTry(String name, String from) {
    Bucket byName = bucket(nameKey(name), FAILURES_PER_NAME);
    Bucket byAddress = bucket(addressKey(from), FAILURES_PER_ADDRESS);
    Duration wait = longestWait(byName, byAddress);
    if (wait.isZero()) {
      byName.tryConsume(1);
      byAddress.tryConsume(1);
    }
    return wait;
  }

  /** The password was right: the try {@link #reservePasswordTry} counted is not a failure. */
  public synchronized void passwordMatched(String name, String from) {
    bucket(nameKey(name), FAILURES_PER_NAME).addTokens(1);
    bucket(addressKey(from), FAILURES_PER_ADDRESS).addTokens(1);
  }

  private static String nameKey(String name) {
    return "n:" + (name == null ? "" : name.toLowerCase(Locale.ROOT));
  }

  private static String addressKey(String from) {
    return "a:" + (from == null ? "" : from);
  }

  /** Opens a session for an operator already authenticated. */
  Session open(Operator operator) {
    Instant now = clock.instant();
    if (byId.size() >= MAX_SESSIONS) {
      byId.values().removeIf(s -> expired(s, now));
      if (byId.size() >= MAX_SESSIONS) {
        // Still full: the oldest session goes rather than refusing every new sign-in.
        byId.values().stream()
            .min((a, b) -> a.created.compareTo(b.created))
            .ifPresent(s -> byId.remove(s.id));
      }
    }
    Session s = new Session(random(), operator, random(), now);
    byId.put(s.id, s);
    return s;
  }

  /** The live session with this id (the cookie's value); touching it restarts its idle time. */
  public Optional<Session> find(String id) {
    if (id == null || id.isEmpty()) {
      return Optional.empty();
    }
    Session s = byId.get(id);
    if (s == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    if (expired(s, now)) {
      byId.remove(id, s);
      return Optional.empty();
    }
    s.lastSeen = now;
    return Optional.of(s);
  }

  /** Sign-out: the session id is worthless from now on. */
  public void end(String id) {
    if (id != null) {
      byId.remove(id);
    }
  }

  int size() {
    return byId.size();
  }

  private static boolean expired(Session s, Instant now) {
    return !now.isBefore(s.lastSeen.plus(IDLE)) || !now.isBefore(s.created.plus(ABSOLUTE));
  }

  private synchronized Bucket bucket(String key, int capacity) {
    return failures.computeIfAbsent(
        key,
        k ->
            Bucket.builder()
                .withCustomTimePrecision(meter)
                .addLimit(
                    Bandwidth.builder()
                        .capacity(capacity)
                        .refillGreedy(capacity, FAILURE_WINDOW)
                        .build())
                .build());
  }

  private static Duration longestWait(Bucket... buckets) {
    long nanos = 0;
    for (Bucket b : buckets) {
      if (b.getAvailableTokens() < 1) {
        nanos =
            Math.max(nanos, Math.max(1, b.estimateAbilityToConsume(1).getNanosToWaitForRefill()));
      }
    }
    return Duration.ofNanos(nanos);
  }

  private static String random() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
