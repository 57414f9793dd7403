package org.twiliocrm.db;

import java.lang.reflect.Field;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds H2's JVM exit hook back until the connector has drained and closed its pool.
 *
 * <p>H2 closes every embedded database it opened from a shutdown hook of its own ({@code
 * org.h2.engine.OnExitDatabaseCloser}), which the JVM runs at the same time as Camel Main's: on
 * SIGTERM it closed the database while the outbox drained, so the sends in flight could not be
 * recorded ("Database is already closed"). {@code DB_CLOSE_ON_EXIT=FALSE} keeps the database open,
 * but H2 2.5 refuses it together with {@code AUTO_SERVER=TRUE} (in {@code Database}'s constructor),
 * and AUTO_SERVER is what lets another process (the README's H2 shell, a second connector, the
 * tests) open the file while the connector runs: the owner publishes its TCP server's address in
 * the {@code .lock.db} file, which only H2's own AUTO_SERVER writes. So the connector keeps
 * AUTO_SERVER and takes H2's hook thread off the JVM's list instead, and runs it from a hook of its
 * own once every held database was closed by the connector (its last step), or after a bound. H2's
 * closing is unchanged, only later.
 *
 * <p>Reads H2 internals (the hook thread and its "registered" flag); the H2 version is pinned in
 * the pom and GracefulDrainIT#sigtermDrainsOnH2 fails if they change.
 */
final class H2ExitHook {
  private static final Logger LOG = LoggerFactory.getLogger(H2ExitHook.class);
  private static final String CLOSER = "org.h2.engine.OnExitDatabaseCloser";

  private static final Object LOCK = new Object();
  // All guarded by LOCK.
  private static Thread h2Hook;
  private static int held;
  private static Duration bound = Duration.ZERO;

  private H2ExitHook() {}

  /**
   * From now on H2's exit hook waits (up to {@code maxWait}) until {@link #release} was called as
   * often as this. False, with a warning, when H2's internals are not as expected: H2 then closes
   * the database at exit as before.
   */
  static boolean hold(Duration maxWait) {
    synchronized (LOCK) {
      if (h2Hook == null) {
        try {
          Class<?> closer = Class.forName(CLOSER);
          Field instance = closer.getDeclaredField("INSTANCE");
          Field registered = closer.getDeclaredField("registered");
          instance.setAccessible(true);
          registered.setAccessible(true);
          Thread hook = (Thread) instance.get(null);
          // H2's register and unregister are static synchronized methods of that class.
          synchronized (closer) {
            Runtime.getRuntime().removeShutdownHook(hook);
            // Marked registered, so a database this JVM opens later (AUTO_SERVER hands the file
            // over when its owner exits) does not put the hook back on the JVM's list.
            registered.setBoolean(null, true);
          }
          h2Hook = hook;
        } catch (ReflectiveOperationException | RuntimeException e) {
          LOG.warn(
              "H2 internals changed ({}): H2 closes the database at exit, during the drain",
              e.toString());
          return false;
        }
        Runtime.getRuntime()
            .addShutdownHook(new Thread(H2ExitHook::closeAfterRelease, "connector-h2-exit"));
      }
      held++;
      if (maxWait.compareTo(bound) > 0) {
        bound = maxWait;
      }
      return true;
    }
  }

  /** The connector has closed what it held: H2 may close the database at exit. */
  static void release() {
    synchronized (LOCK) {
      if (held > 0) {
        held--;
      }
      LOCK.notifyAll();
    }
  }

  private static void closeAfterRelease() {
    Thread hook;
    synchronized (LOCK) {
      long deadline = System.nanoTime() + bound.toNanos();
      while (held > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          LOG.warn("H2 closes the database at exit: the connector did not stop in {}", bound);
          break;
        }
        try {
          LOCK.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      hook = h2Hook;
    }
    // H2's own closing (every database it still has open, other processes' sessions included),
    // in this thread: the JVM waits for it as it waited for H2's hook.
    hook.run();
  }
}
