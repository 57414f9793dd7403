package org.twiliocrm.crm.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;

/**
 * Two connector processes (child JVMs) share one PostgreSQL schema and a file-lock directory; only
 * the leader subscribes. The leader is killed (SIGKILL) while events keep coming: the follower
 * takes over from the stored replay id and every event becomes exactly one outbox row.
 */
class CrmEventsFailoverIT {
  private static final String CHANNEL = "/event/Send_Message__e";

  @Test
  void killingTheLeaderLosesAndDoublesNothing() throws Exception {
    Path dir = Files.createTempDirectory("crm-failover");
    List<Process> nodes = new ArrayList<>();
    try (SalesforceSandbox org =
            SalesforceSandbox.start(
                SalesforceSandboxSettings.defaults().withPort(0).withDataDir(dir.resolve("sf")));
        PgSchema db = new PgSchema()) {
      SandboxOrg api = new SandboxOrg(org.baseUrl());
      // both processes start together (JVM start-up dominates this test); one wins the lock
      nodes.add(spawn(org.baseUrl(), db.url(), dir, "a"));
      nodes.add(spawn(org.baseUrl(), db.url(), dir, "b"));
      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () ->
                  started(dir, "a")
                      && started(dir, "b")
                      && org.streamingSubscribers().getOrDefault(CHANNEL, 0) == 1
                      && (leads(dir, "a") != leads(dir, "b")));
      boolean aLeads = leads(dir, "a");
      Process leader = nodes.get(aLeads ? 0 : 1);
      String follower = aLeads ? "b" : "a";
      // the follower does not subscribe
      assertThat(org.streamingSubscribers().getOrDefault(CHANNEL, 0)).isEqualTo(1);

      for (int i = 0; i < 10; i++) {
        api.publish(Map.of("To__c", "+1555555500" + i, "Body__c", "m" + i));
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> db.count("SELECT count(*) FROM outbox_message") == 10);
      for (int i = 10; i < 15; i++) {
        api.publish(Map.of("To__c", "+155555550" + i, "Body__c", "m" + i));
      }
      leader.destroyForcibly().waitFor();
      for (int i = 15; i < 20; i++) {
        api.publish(Map.of("To__c", "+155555550" + i, "Body__c", "m" + i));
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> db.count("SELECT count(*) FROM outbox_message") == 20);
      assertThat(leads(dir, follower)).isTrue();
      // every event exactly once: 20 rows, 20 distinct messages, no rejection
      assertThat(db.count("SELECT count(DISTINCT body) FROM outbox_message")).isEqualTo(20);
      assertThat(db.count("SELECT count(*) FROM crm_event_rejection")).isZero();
      // and nothing arrives late
      api.publish(Map.of("To__c", "+15555555099", "Body__c", "after failover"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> db.count("SELECT count(*) FROM outbox_message") == 21);
    } finally {
      for (Process p : nodes) {
        p.destroyForcibly();
      }
    }
  }

  private static boolean started(Path dir, String name) throws Exception {
    Path log = dir.resolve(name + ".log");
    return Files.exists(log) && Files.readString(log).contains("NODE-STARTED");
  }

  private static boolean leads(Path dir, String name) throws Exception {
    Path log = dir.resolve(name + ".log");
    return Files.exists(log) && Files.readString(log).contains("holds the Salesforce");
  }

  private static Process spawn(String sfUrl, String jdbcUrl, Path dir, String name)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            CrmEventsNode.class.getName(),
            sfUrl,
            jdbcUrl,
            "crm.events.leader.mode=file",
            "crm.events.leader.root=" + dir.resolve("lock"),
            "crm.events.leader.interval=1s",
            "crm.events.leader.heartbeat-multiplier=3");
    pb.redirectErrorStream(true);
    File log = dir.resolve(name + ".log").toFile();
    pb.redirectOutput(log);
    return pb.start();
  }
}
