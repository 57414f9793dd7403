package org.twiliocrm.crm.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.twiliocrm.sandbox.salesforce.SalesforceSandbox;
import org.twiliocrm.sandbox.salesforce.SalesforceSandboxSettings;
import org.twiliocrm.testsupport.TestConnector;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * Two connector processes (child JVMs running the whole connector, TestConnector) share one
 * PostgreSQL schema; only the leader subscribes, elected by a file lock (one host) or by a
 * Kubernetes Lease (against a Kubernetes API server in CRUD mode, over HTTP). The leader is killed
 * (SIGKILL) while events keep coming: the follower takes over from the stored replay id and every
 * event becomes exactly one outbox row.
 */
class CrmEventsFailoverIT {
  private static final String CHANNEL = "/event/Send_Message__e";
  private static final String K8S_NAMESPACE = "crm-test";
  private static final String LEASE = "twilio-crm-connector-crm-events";

  @ParameterizedTest(name = "leader.mode={0}")
  @ValueSource(strings = {"file", "kubernetes"})
  void killingTheLeaderLosesAndDoublesNothing(String mode) throws Exception {
    Path dir = Files.createTempDirectory("crm-failover");
    List<Process> nodes = new ArrayList<>();
    KubernetesMockServer k8s = null;
    List<String> leaderSettings = new ArrayList<>();
    leaderSettings.add("crm.events.leader.mode=" + mode);
    leaderSettings.add("crm.events.leader.interval=1s");
    // A 5 s lease (renewed every second): short enough for a quick failover, long enough that a
    // leader starved of CPU for a moment on a busy machine does not lose it.
    leaderSettings.add("crm.events.leader.heartbeat-multiplier=5");
    if (mode.equals("file")) {
      leaderSettings.add("crm.events.leader.root=" + dir.resolve("lock"));
    } else {
      k8s =
          new KubernetesMockServer(
              new Context(),
              new MockWebServer(),
              new HashMap<>(),
              new KubernetesCrudDispatcher(),
              false);
      k8s.init();
      // The two "pods": Camel's Lease election only lets listed, ready pods lead.
      try (KubernetesClient client = k8s.createClient()) {
        for (String pod : List.of("a", "b")) {
          client
              .pods()
              .inNamespace(K8S_NAMESPACE)
              .resource(
                  new PodBuilder()
                      .withNewMetadata()
                      .withName(pod)
                      .endMetadata()
                      .withNewStatus()
                      .withPhase("Running")
                      .addNewCondition()
                      .withType("Ready")
                      .withStatus("True")
                      .endCondition()
                      .addNewContainerStatus()
                      .withName("connector")
                      .withReady(true)
                      .endContainerStatus()
                      .endStatus()
                      .build())
              .create();
        }
      }
      leaderSettings.add("crm.events.leader.kubernetes.master-url=" + k8s.url("/"));
      leaderSettings.add("crm.events.leader.kubernetes.namespace=" + K8S_NAMESPACE);
    }
    try (SalesforceSandbox org =
            SalesforceSandbox.start(
                SalesforceSandboxSettings.defaults().withPort(0).withDataDir(dir.resolve("sf")));
        TestDatabase db = TestDatabase.postgres("crm_events");
        // Closed before the schema is dropped: a connector still polling it (the follower, with its
        // outbox and write-back claims) deadlocks DROP SCHEMA.
        AutoCloseable stopNodes = () -> kill(nodes)) {
      SandboxOrg api = new SandboxOrg(org.baseUrl());
      // both processes start together (JVM start-up dominates this test); one wins the lock
      nodes.add(spawn(org.baseUrl(), db, dir, "a", leaderSettings));
      nodes.add(spawn(org.baseUrl(), db, dir, "b", leaderSettings));
      try {
        // Two JVMs start at once on a 2-core machine that may be running other builds: wait on
        // the condition, generously, and say what was seen if it never holds.
        await()
            .atMost(Duration.ofSeconds(180))
            .pollInterval(Duration.ofMillis(250))
            .until(
                () ->
                    started(dir, "a")
                        && started(dir, "b")
                        && org.streamingSubscribers().getOrDefault(CHANNEL, 0) == 1
                        && (leads(dir, "a") != leads(dir, "b")));
      } catch (ConditionTimeoutException e) {
        throw new AssertionError("no single leader with one subscriber:\n" + state(dir, org), e);
      }
      boolean aLeads = leads(dir, "a");
      Process leader = nodes.get(aLeads ? 0 : 1);
      String follower = aLeads ? "b" : "a";
      // the follower does not subscribe, and holds no CometD session at all: one client ever
      // handshook (both processes logged in, each with its own token), one is connected
      assertThat(org.streamingSubscribers().getOrDefault(CHANNEL, 0)).isEqualTo(1);
      assertThat(org.streamingHandshakes()).as(state(dir, org)).hasSize(1);
      assertThat(org.streamingClients()).isEqualTo(1);
      if (k8s != null) {
        assertThat(leaseHolder(k8s)).isEqualTo(aLeads ? "a" : "b");
      }

      for (int i = 0; i < 10; i++) {
        api.publish(Map.of("To__c", "+1415555500" + i, "Body__c", "m" + i));
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> db.count("SELECT count(*) FROM outbox_message") == 10);
      for (int i = 10; i < 15; i++) {
        api.publish(Map.of("To__c", "+141555550" + i, "Body__c", "m" + i));
      }
      leader.destroyForcibly().waitFor();
      if (k8s != null) {
        // What Kubernetes does when a pod dies: it leaves the ready pods. Camel's Lease election
        // counts only those as members, so the dead leader's Lease becomes invalid.
        try (KubernetesClient client = k8s.createClient()) {
          client.pods().inNamespace(K8S_NAMESPACE).withName(aLeads ? "a" : "b").delete();
        }
      }
      for (int i = 15; i < 20; i++) {
        api.publish(Map.of("To__c", "+141555550" + i, "Body__c", "m" + i));
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> db.count("SELECT count(*) FROM outbox_message") == 20);
      assertThat(leads(dir, follower)).isTrue();
      // the new leader handshook: two clients in all, one connected (the dead leader's session
      // may linger on the server until its /meta/connect times out)
      assertThat(org.streamingHandshakes()).hasSize(2);
      if (k8s != null) {
        assertThat(leaseHolder(k8s)).isEqualTo(follower);
      }
      // every event exactly once: 20 rows, 20 distinct messages, no rejection
      assertThat(db.count("SELECT count(DISTINCT body) FROM outbox_message")).isEqualTo(20);
      assertThat(db.count("SELECT count(*) FROM crm_event_rejection")).isZero();
      // and nothing arrives late
      api.publish(Map.of("To__c", "+14155555099", "Body__c", "after failover"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> db.count("SELECT count(*) FROM outbox_message") == 21);
    } finally {
      kill(nodes);
      if (k8s != null) {
        k8s.destroy();
      }
    }
  }

  private static void kill(List<Process> nodes) throws InterruptedException {
    for (Process p : nodes) {
      p.destroyForcibly().waitFor();
    }
  }

  private static String leaseHolder(KubernetesMockServer k8s) {
    try (KubernetesClient client = k8s.createClient()) {
      Lease lease = client.leases().inNamespace(K8S_NAMESPACE).withName(LEASE).get();
      return lease == null ? null : lease.getSpec().getHolderIdentity();
    }
  }

  private static boolean started(Path dir, String name) throws Exception {
    Path log = dir.resolve(name + ".log");
    return Files.exists(log) && Files.readString(log).contains("CONNECTOR-STARTED");
  }

  /**
   * Whether the node leads now: its last leadership line says it holds the subscriptions. On a busy
   * machine a leader can miss a renewal and step down once before the election settles; a check on
   * "ever led" would then see two leaders forever.
   */
  private static boolean leads(Path dir, String name) throws Exception {
    Path log = dir.resolve(name + ".log");
    if (!Files.exists(log)) {
      return false;
    }
    String text = Files.readString(log);
    return text.lastIndexOf("holds the Salesforce") > text.lastIndexOf("leadership lost");
  }

  /** What the wait saw, for the failure message. */
  private static String state(Path dir, SalesforceSandbox org) throws Exception {
    StringBuilder out = new StringBuilder();
    for (String n : List.of("a", "b")) {
      out.append(n)
          .append(": started=")
          .append(started(dir, n))
          .append(" leads=")
          .append(leads(dir, n))
          .append('\n');
    }
    out.append("handshakes per client: ")
        .append(org.streamingHandshakes())
        .append(", connected clients: ")
        .append(org.streamingClients())
        .append('\n');
    out.append("subscribers on ")
        .append(CHANNEL)
        .append(": ")
        .append(org.streamingSubscribers().getOrDefault(CHANNEL, 0))
        .append('\n');
    for (String n : List.of("a", "b")) {
      Path log = dir.resolve(n + ".log");
      if (Files.exists(log)) {
        List<String> lines = Files.readAllLines(log);
        out.append("--- last lines of ")
            .append(n)
            .append(".log\n")
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())))
            .append('\n');
      }
    }
    return out.toString();
  }

  /** A whole connector (TestConnector) in a child JVM on this test's class path. */
  private static Process spawn(
      String sfUrl, TestDatabase db, Path dir, String name, List<String> settings)
      throws Exception {
    List<String> all = new ArrayList<>();
    // the org outlives the leader: both processes share the test's Salesforce sandbox
    all.add("sandbox.salesforce.external-url=" + sfUrl);
    all.addAll(settings);
    List<String> cmd = TestConnector.childCommand(db.url(), db.user(), "512m", all);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    // The pod name: what a Kubernetes member is called in the Lease.
    pb.environment().put("HOSTNAME", name);
    pb.redirectErrorStream(true);
    File log = dir.resolve(name + ".log").toFile();
    pb.redirectOutput(log);
    return pb.start();
  }
}
