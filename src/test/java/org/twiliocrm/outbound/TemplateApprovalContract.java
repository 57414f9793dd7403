package org.twiliocrm.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.health.HealthCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twiliocrm.config.ConnectorConfig;
import org.twiliocrm.governance.templates.TemplateApprovals;
import org.twiliocrm.governance.templates.TemplateApprovals.State;
import org.twiliocrm.testsupport.TestDatabase;

/**
 * The template approval gate end to end: template files in a directory the running node re-reads,
 * the outbox route and kamelets as shipped, the database of each vendor, and the Twilio sandbox
 * over HTTP. What reaches the sandbox is the proof: no message ever carries unapproved text.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TemplateApprovalContract {
  abstract TestDatabase.Kind kind();

  TestDatabase database;

  static final String FROM = "+15005550006";
  static final AtomicInteger NEXT = new AtomicInteger(7000);
  SandboxControl sandbox;
  ConnectorConfig.Db db;
  OutboxNode node;
  Rows rows;
  Path dir;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("templates-it");
    sandbox = new SandboxControl(Map.of());
    database = TestDatabase.of(kind(), "templates");
    db = database.config(kind() == TestDatabase.Kind.POSTGRES ? 30 : 20);
    node = startNode();
  }

  OutboxNode startNode() throws Exception {
    OutboxNode n =
        OutboxNode.start(
            db,
            sandbox.baseUrl(),
            Map.of(
                "outbox.templates.location", dir.toString(),
                "templates.reload-interval", "200ms",
                "outbox.poll-interval", "300ms",
                "outbox.instance-id", "templates-it"));
    rows = new Rows(n.db.dataSource());
    return n;
  }

  @AfterAll
  void stop() throws IOException {
    node.close();
    sandbox.close();
    database.close();
  }

  static String recipient() {
    return "+1415555" + String.format("%04d", NEXT.incrementAndGet());
  }

  void write(String file, String text) {
    try {
      // Written beside and moved into place, as an editor or a ConfigMap update does: the reload
      // never reads half a file.
      Path tmp = dir.resolve("." + file + ".tmp");
      Files.writeString(tmp, text);
      Files.move(
          tmp,
          dir.resolve(file),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String template(String name, String sms) {
    return "templates:\n"
        + "  "
        + name
        + ":\n"
        + "    purpose: transactional\n"
        + "    variables:\n"
        + "      name: { max-length: 20 }\n"
        + "    locales:\n"
        + "      en:\n"
        + "        sms: \""
        + sms
        + "\"\n";
  }

  List<TemplateApprovals.Version> versions(String name) {
    return node.approvals().versions(name);
  }

  /** Waits until the running node has recorded {@code n} versions of the template. */
  List<TemplateApprovals.Version> awaitVersions(String name, int n) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> versions(name).size() >= n);
    return versions(name);
  }

  long insert(String key, String to, String template) {
    return rows.insert(
        key,
        "channel",
        "sms",
        "recipient",
        to,
        "sender",
        FROM,
        "template_name",
        template,
        "template_variables",
        "{\"name\":\"Ana\"}");
  }

  void awaitStatus(long id, String status) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> assertThat(rows.status(id)).as(() -> "row " + rows.row(id)).isEqualTo(status));
  }

  @Test
  void aTemplateNeverApprovedHoldsItsRowsUntilANamedApproverApprovesIt() {
    write("hold.yaml", template("hold", "Hold v1 for {{name}}"));
    String version = awaitVersions("hold", 1).get(0).version();
    assertThat(versions("hold").get(0).state()).isEqualTo(State.PENDING_APPROVAL);
    String to = recipient();
    long id = insert("hold-1", to, "hold");
    awaitStatus(id, "HELD");
    assertThat(rows.row(id)).containsEntry("reason_code", "AWAITING_APPROVAL");
    assertThat(sandbox.messagesTo(to)).isEmpty();

    TemplateApprovals.Version approved = node.approvals().approve(version, "alice");
    assertThat(approved.state()).isEqualTo(State.APPROVED);
    assertThat(approved.decidedBy()).isEqualTo("alice");
    assertThat(approved.decidedAt()).isNotNull();
    awaitStatus(id, "SENT");
    assertThat(sandbox.messagesTo(to))
        .singleElement()
        .satisfies(m -> assertThat(m).containsEntry("body", "Hold v1 for Ana"));
    // Seen and approved, each in governance_audit with its actor.
    assertThat(audit("hold@" + version))
        .containsExactly("connector TEMPLATE_VERSION_SEEN", "alice APPROVED");
  }

  List<String> audit(String subject) {
    List<String> out = new ArrayList<>();
    try (java.sql.Connection c = node.db.dataSource().getConnection();
        java.sql.PreparedStatement ps =
            c.prepareStatement(
                "SELECT actor, action FROM governance_audit WHERE subject_type = 'template_version'"
                    + " AND subject_id = ? ORDER BY id")) {
      ps.setString(1, subject);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1) + " " + rs.getString(2));
        }
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  @Test
  void editingATemplateWhileRowsFlowNeverSendsTheUnapprovedText() throws Exception {
    write("flow.yaml", template("flow", "Flow APPROVED-ONE for {{name}}"));
    node.approvals().approve(awaitVersions("flow", 1).get(0).version(), "alice");

    // A producer inserts rows the whole time, one every few milliseconds.
    List<Long> ids = java.util.Collections.synchronizedList(new ArrayList<>());
    List<String> tos = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean producing = new AtomicBoolean(true);
    AtomicInteger seq = new AtomicInteger();
    Thread producer =
        new Thread(
            () -> {
              while (producing.get()) {
                String to = recipient();
                tos.add(to);
                ids.add(insert("flow-" + seq.incrementAndGet(), to, "flow"));
                try {
                  Thread.sleep(5); // pacing the producer, not waiting for a condition
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "flow-producer");
    producer.start();
    await().atMost(Duration.ofSeconds(20)).until(() -> ids.size() >= 30);

    write("flow.yaml", template("flow", "Flow UNAPPROVED-TWO for {{name}}"));
    List<TemplateApprovals.Version> vs = awaitVersions("flow", 2);
    String pending =
        vs.stream()
            .filter(v -> v.state() == State.PENDING_APPROVAL)
            .findFirst()
            .orElseThrow()
            .version();
    int atEdit = ids.size();
    await().atMost(Duration.ofSeconds(30)).until(() -> ids.size() >= atEdit + 60);
    producing.set(false);
    producer.join();

    for (long id : new ArrayList<>(ids)) {
      awaitStatus(id, "SENT");
    }
    List<String> bodies = new ArrayList<>();
    for (String to : tos) {
      sandbox.messagesTo(to).forEach(m -> bodies.add((String) m.get("body")));
    }
    assertThat(bodies).hasSize(ids.size());
    assertThat(bodies).allMatch(b -> b.equals("Flow APPROVED-ONE for Ana"));
    assertThat(sandbox.messagesTo(null))
        .noneMatch(m -> String.valueOf(m.get("body")).contains("UNAPPROVED-TWO"));

    // Once a second person approves the edit, new rows carry it.
    node.approvals().approve(pending, "bob");
    String to = recipient();
    long after = insert("flow-after", to, "flow");
    awaitStatus(after, "SENT");
    assertThat(sandbox.messagesTo(to).get(0)).containsEntry("body", "Flow UNAPPROVED-TWO for Ana");
  }

  @Test
  void aRejectedEditIsNeverSentAndDecidingTwiceIsAConflict() {
    write("rej.yaml", template("rej", "Rej one {{name}}"));
    String v1 = awaitVersions("rej", 1).get(0).version();
    node.approvals().approve(v1, "alice");
    write("rej.yaml", template("rej", "Rej REJECTED {{name}}"));
    String v2 = awaitVersions("rej", 2).get(0).version();
    assertThat(v2).isNotEqualTo(v1);
    TemplateApprovals.Version r = node.approvals().reject(v2, "carol", "wrong tone");
    assertThat(r.state()).isEqualTo(State.REJECTED);
    assertThat(r.comment()).isEqualTo("wrong tone");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> node.approvals().approve(v2, "dave"))
        .isInstanceOf(TemplateApprovals.Conflict.class);
    String to = recipient();
    long id = insert("rej-1", to, "rej");
    awaitStatus(id, "SENT");
    assertThat(sandbox.messagesTo(to).get(0)).containsEntry("body", "Rej one Ana");
  }

  @Test
  void aBrokenEditKeepsTheLastGoodFilesAndIsReportedInReadinessAndAMetric() {
    // The connector's own meter registry, the one /observe/metrics exposes.
    MeterRegistry meters = node.ctx.getRegistry().findSingleByType(MeterRegistry.class);
    assertThat(meters).isNotNull();
    write("keep.yaml", template("keep", "Keep one {{name}}"));
    node.approvals().approve(awaitVersions("keep", 1).get(0).version(), "alice");

    // A variable nobody declared, on line 8 of the file.
    write("keep.yaml", template("keep", "Keep {{nobody}} {{name}}"));
    var runtime = node.runtime.templates();
    await().atMost(Duration.ofSeconds(20)).until(() -> runtime.error().isPresent());
    assertThat(runtime.error().get())
        .contains(dir.resolve("keep.yaml") + ":8:")
        .contains("{{nobody}}");
    HealthCheck.Result health = runtime.healthCheck().call();
    assertThat(health.getState()).isEqualTo(HealthCheck.State.DOWN);
    assertThat(health.getMessage()).get().asString().contains("keep.yaml:8");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              var g = meters.find("connector.templates.reload.failing").gauge();
              return g != null && g.value() == 1.0;
            });
    // The broken file made no version, and rows go on with the approved text.
    assertThat(versions("keep")).hasSize(1);
    String to = recipient();
    long id = insert("keep-1", to, "keep");
    awaitStatus(id, "SENT");
    assertThat(sandbox.messagesTo(to).get(0)).containsEntry("body", "Keep one Ana");

    write("keep.yaml", template("keep", "Keep one {{name}}"));
    await().atMost(Duration.ofSeconds(20)).until(() -> runtime.error().isEmpty());
    assertThat(runtime.healthCheck().call().getState()).isEqualTo(HealthCheck.State.UP);
    assertThat(meters.find("connector.templates.reload.failing").gauge().value()).isZero();
  }

  @Test
  void aRestartKeepsApprovalStateAndTheApprovedText() throws Exception {
    write("again.yaml", template("again", "Again one {{name}}"));
    String v1 = awaitVersions("again", 1).get(0).version();
    node.approvals().approve(v1, "alice");
    write("again.yaml", template("again", "Again PENDING {{name}}"));
    awaitVersions("again", 2);

    node.close();
    node = startNode();

    List<TemplateApprovals.Version> after = versions("again");
    assertThat(after).hasSize(2);
    TemplateApprovals.Version one =
        after.stream().filter(v -> v.version().equals(v1)).findFirst().orElseThrow();
    assertThat(one.state()).isEqualTo(State.APPROVED);
    assertThat(one.decidedBy()).isEqualTo("alice");
    assertThat(after)
        .filteredOn(v -> !v.version().equals(v1))
        .singleElement()
        .satisfies(v -> assertThat(v.state()).isEqualTo(State.PENDING_APPROVAL));
    String to = recipient();
    long id = insert("again-1", to, "again");
    awaitStatus(id, "SENT");
    assertThat(sandbox.messagesTo(to).get(0)).containsEntry("body", "Again one Ana");
  }
}
