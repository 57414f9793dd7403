package org.twiliocrm.preflight;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * preflight's Kubernetes checks against fabric8's mock API server over HTTP: the Lease permissions
 * asked with SelfSubjectAccessReview (one review per verb, in the order get, create, update), and
 * the mounted folders.
 */
class KubernetesChecksTest {
  static final String REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
  static final Map<String, String> IN_POD = Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1");

  KubernetesMockServer k8s;
  @TempDir Path dir;

  @BeforeEach
  void start() {
    k8s = new KubernetesMockServer(false);
    k8s.init();
  }

  @AfterEach
  void stop() {
    k8s.destroy();
  }

  private static SelfSubjectAccessReview answer(boolean allowed) {
    return new SelfSubjectAccessReviewBuilder()
        .withNewStatus()
        .withAllowed(allowed)
        .endStatus()
        .build();
  }

  private void reviewsAnswer(boolean get, boolean create, boolean update) {
    k8s.expect().post().withPath(REVIEWS).andReturn(201, answer(get)).once();
    k8s.expect().post().withPath(REVIEWS).andReturn(201, answer(create)).once();
    k8s.expect().post().withPath(REVIEWS).andReturn(201, answer(update)).once();
  }

  private List<Check> run(Map<String, String> env, String masterUrl, List<String> folders) {
    return new KubernetesChecks(env, "kubernetes", "connector", masterUrl, "twilio-crm", folders)
        .run();
  }

  private static Check named(List<Check> checks, String prefix) {
    return checks.stream().filter(c -> c.name().startsWith(prefix)).findFirst().orElseThrow();
  }

  @Test
  void outsideAPodNothingIsChecked() {
    List<Check> checks =
        new KubernetesChecks(Map.of(), "kubernetes", null, null, "twilio-crm", List.of("routes"))
            .run();
    assertThat(checks).singleElement().extracting(Check::status).isEqualTo(Check.Status.SKIP);
  }

  @Test
  void allowedLeaseVerbsAndMountedFoldersPass() throws Exception {
    reviewsAnswer(true, true, true);
    Path routes = Files.createDirectories(dir.resolve("routes"));
    Files.writeString(routes.resolve("a.camel.yaml"), "- route: {}");
    List<Check> checks = run(IN_POD, k8s.url("/"), List.of(routes.toString()));
    Check lease = named(checks, "Lease permissions");
    assertThat(lease.status()).isEqualTo(Check.Status.PASS);
    assertThat(lease.name()).contains("twilio-crm-crm-events").contains("connector");
    assertThat(named(checks, "mounted").status()).isEqualTo(Check.Status.PASS);
    // every verb was asked, in the namespace configured
    assertThat(k8s.getRequestCount()).isEqualTo(3);
    assertThat(k8s.getLastRequest().getBody().readUtf8())
        .contains("\"verb\":\"update\"")
        .contains("\"resource\":\"leases\"")
        .contains("\"namespace\":\"connector\"");
  }

  @Test
  void aDeniedVerbFailsNamingItAndTheFix() {
    reviewsAnswer(true, true, false);
    Check lease = named(run(IN_POD, k8s.url("/"), List.of()), "Lease permissions");
    assertThat(lease.status()).isEqualTo(Check.Status.FAIL);
    assertThat(lease.detail()).isEqualTo("denied: update");
    assertThat(lease.fix()).contains("leases.coordination.k8s.io");
  }

  @Test
  void missingOrEmptyFoldersFailWithTheMountToFix() throws Exception {
    reviewsAnswer(true, true, true);
    Path empty = Files.createDirectories(dir.resolve("kamelets"));
    Path missing = dir.resolve("rules");
    List<Check> checks = run(IN_POD, k8s.url("/"), List.of(empty.toString(), missing.toString()));
    Check e = named(checks, "mounted " + empty);
    Check m = named(checks, "mounted " + missing);
    assertThat(e.status()).isEqualTo(Check.Status.FAIL);
    assertThat(e.detail()).isEqualTo("empty");
    assertThat(m.status()).isEqualTo(Check.Status.FAIL);
    assertThat(m.fix()).contains("mount the ConfigMap at " + missing);
  }

  @Test
  void anUnreachableApiServerIsAFailedCheckNotAnException() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Check lease =
        named(run(IN_POD, "http://127.0.0.1:" + closed + "/", List.of()), "Lease permissions");
    assertThat(lease.status()).isEqualTo(Check.Status.FAIL);
    assertThat(lease.detail()).startsWith("could not ask the API server");
  }
}
