package org.twiliocrm.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class DaemonTimerTest {
  private static final long HOUR = Duration.ofHours(1).toMillis();

  @Test
  void runsEachTaskOnOneNamedDaemonThreadAndStopsOnClose() {
    CopyOnWriteArrayList<Thread> ran = new CopyOnWriteArrayList<>();
    try (DaemonTimer timer = new DaemonTimer("daemon-timer-test")) {
      timer.start(
          new DaemonTimer.Task(() -> ran.add(Thread.currentThread()), 0, HOUR),
          new DaemonTimer.Task(() -> ran.add(Thread.currentThread()), 0, HOUR));
      await().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 2);
      assertThat(ran).allSatisfy(t -> assertThat(t.getName()).isEqualTo("daemon-timer-test"));
      assertThat(ran.get(0)).isSameAs(ran.get(1));
      assertThat(ran.get(0).isDaemon()).isTrue();
      timer.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> !ran.get(0).isAlive());
    }
  }

  @Test
  void aSecondStartWhileRunningIsIgnoredAndAStartAfterCloseBeginsAnew() {
    String name = "daemon-timer-restart-test";
    CopyOnWriteArrayList<String> ran = new CopyOnWriteArrayList<>();
    try (DaemonTimer timer = new DaemonTimer(name)) {
      timer.start(new DaemonTimer.Task(() -> ran.add("first"), HOUR, HOUR));
      // A second start would need a second executor, whose thread starts with its schedule.
      timer.start(new DaemonTimer.Task(() -> ran.add("second"), HOUR, HOUR));
      assertThat(threadsNamed(name)).isEqualTo(1);
      timer.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> threadsNamed(name) == 0);
      timer.start(new DaemonTimer.Task(() -> ran.add("again"), 0, HOUR));
      await().atMost(Duration.ofSeconds(10)).until(() -> ran.contains("again"));
      assertThat(ran).containsExactly("again");
    }
  }

  private static long threadsNamed(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().equals(name))
        .count();
  }
}
