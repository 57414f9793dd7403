package org.twiliocrm.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.twiliocrm.testsupport.TestOperators;

/**
 * Console sessions: expiry, CSRF tokens and the sign-in failure limit, on a clock the test moves.
 */
class OperatorSessionsTest {
  private static OperatorCredentials creds;

  /** A clock the test sets. */
  static final class MovableClock extends Clock {
    Instant now = Instant.parse("2026-12-01T10:00:00Z");

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  @BeforeAll
  static void load() throws Exception {
    Path f = Files.createTempFile("operators", ".yaml");
    Files.writeString(f, TestOperators.yaml());
    creds = OperatorCredentials.load(f);
  }

  @Test
  void aRightPasswordOpensASessionWithItsOwnCsrfToken() {
    OperatorSessions s = new OperatorSessions(new MovableClock());
    OperatorSessions.SignIn r = s.signIn(creds, "bob", "bob-password", "10.0.0.1");
    assertThat(r).isInstanceOf(OperatorSessions.SignIn.Ok.class);
    OperatorSessions.Session session = ((OperatorSessions.SignIn.Ok) r).session();
    assertThat(session.operator().name()).isEqualTo("bob");
    assertThat(session.operator().role()).isEqualTo(Role.APPROVER);
    assertThat(session.operator().via()).isEqualTo("session");
    assertThat(session.id()).hasSizeGreaterThanOrEqualTo(43).isNotEqualTo(session.csrf());
    assertThat(session.csrfMatches(session.csrf())).isTrue();
    assertThat(session.csrfMatches(session.csrf() + "x")).isFalse();
    assertThat(session.csrfMatches(null)).isFalse();
    assertThat(s.find(session.id())).containsSame(session);
    assertThat(s.find("forged")).isEmpty();
    assertThat(s.signIn(creds, "bob", "wrong", "10.0.0.1"))
        .isInstanceOf(OperatorSessions.SignIn.Invalid.class);
  }

  @Test
  void sessionsEndWhenIdleAfterTheirMaximumAgeAndOnSignOut() {
    MovableClock clock = new MovableClock();
    OperatorSessions s = new OperatorSessions(clock);
    OperatorSessions.Session idle = s.open(new Operator("a", Role.VIEWER, "session"));
    clock.advance(OperatorSessions.IDLE.minusSeconds(1));
    assertThat(s.find(idle.id())).isPresent(); // touched: the idle time starts again
    clock.advance(OperatorSessions.IDLE.plusSeconds(1));
    assertThat(s.find(idle.id())).isEmpty();

    OperatorSessions.Session busy = s.open(new Operator("b", Role.VIEWER, "session"));
    for (Duration d = Duration.ZERO;
        d.compareTo(OperatorSessions.ABSOLUTE) < 0;
        d = d.plus(Duration.ofMinutes(20))) {
      assertThat(s.find(busy.id())).isPresent();
      clock.advance(Duration.ofMinutes(20));
    }
    assertThat(s.find(busy.id())).isEmpty();

    OperatorSessions.Session ended = s.open(new Operator("c", Role.VIEWER, "session"));
    s.end(ended.id());
    assertThat(s.find(ended.id())).isEmpty();
  }

  @Test
  void repeatedFailuresForANameAreRefusedEvenWithTheRightPasswordUntilTheWindowRefills() {
    MovableClock clock = new MovableClock();
    OperatorSessions s = new OperatorSessions(clock);
    for (int i = 0; i < OperatorSessions.FAILURES_PER_NAME; i++) {
      assertThat(s.signIn(creds, "bob", "guess" + i, "10.0.0." + i))
          .isInstanceOf(OperatorSessions.SignIn.Invalid.class);
    }
    OperatorSessions.SignIn limited = s.signIn(creds, "BOB", "bob-password", "10.0.0.99");
    assertThat(limited).isInstanceOf(OperatorSessions.SignIn.Limited.class);
    assertThat(((OperatorSessions.SignIn.Limited) limited).retryAfter()).isPositive();
    // Other names are not affected.
    assertThat(s.signIn(creds, "carol", "carol-password", "10.0.0.1"))
        .isInstanceOf(OperatorSessions.SignIn.Ok.class);
    clock.advance(OperatorSessions.FAILURE_WINDOW);
    assertThat(s.signIn(creds, "bob", "bob-password", "10.0.0.1"))
        .isInstanceOf(OperatorSessions.SignIn.Ok.class);
  }

  @Test
  void oneAddressTryingManyNamesIsLimitedToo() {
    OperatorSessions s = new OperatorSessions(new MovableClock());
    for (int i = 0; i < OperatorSessions.FAILURES_PER_ADDRESS; i++) {
      assertThat(s.signIn(creds, "user" + i, "guess", "10.9.9.9"))
          .isInstanceOf(OperatorSessions.SignIn.Invalid.class);
    }
    assertThat(s.signIn(creds, "alice", "alice-password", "10.9.9.9"))
        .isInstanceOf(OperatorSessions.SignIn.Limited.class);
    assertThat(s.signIn(creds, "alice", "alice-password", "10.1.1.1"))
        .isInstanceOf(OperatorSessions.SignIn.Ok.class);
  }

  @Test
  void triesStillBeingCheckedCountSoABurstCannotAllPassTheLimit() {
    OperatorSessions s = new OperatorSessions(new MovableClock());
    // Five Basic requests for bob arrive at once: each is counted before its bcrypt check runs.
    for (int i = 0; i < OperatorSessions.FAILURES_PER_NAME; i++) {
      assertThat(s.reservePasswordTry("bob", "10.0.0.1")).isZero();
    }
    assertThat(s.reservePasswordTry("bob", "10.0.0.2")).isPositive();
    // The console's sign-in shares the buckets.
    assertThat(s.signIn(creds, "bob", "bob-password", "10.0.0.3"))
        .isInstanceOf(OperatorSessions.SignIn.Limited.class);
    // One of the five had the right password: its try is given back.
    s.passwordMatched("bob", "10.0.0.1");
    assertThat(s.signIn(creds, "bob", "bob-password", "10.0.0.3"))
        .isInstanceOf(OperatorSessions.SignIn.Ok.class);
  }
}
