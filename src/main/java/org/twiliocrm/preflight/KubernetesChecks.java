package org.twiliocrm.preflight;

import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributesBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Kubernetes side of preflight, in a pod: the service account may get, create and update the
 * leader-election Lease (asked with SelfSubjectAccessReview, which changes nothing), and the
 * mounted route, kamelet and configuration folders are there.
 */
public final class KubernetesChecks {
  static final String AREA = "Kubernetes";

  private final Map<String, String> env;
  private final String leaderMode;
  private final String namespace;
  private final String masterUrl;
  private final String leaseName;
  private final List<String> folders;

  /**
   * @param folders the configured routes and kamelets directories, and the config file's folder
   */
  public KubernetesChecks(
      Map<String, String> env,
      String leaderMode,
      String namespace,
      String masterUrl,
      String leaseName,
      List<String> folders) {
    this.env = env;
    this.leaderMode = leaderMode;
    this.namespace = namespace;
    this.masterUrl = masterUrl;
    this.leaseName = leaseName;
    this.folders = folders;
  }

  public List<Check> run() {
    List<Check> out = new ArrayList<>();
    boolean inPod = env.get("KUBERNETES_SERVICE_HOST") != null;
    if (!inPod && masterUrl == null) {
      out.add(Check.skip(AREA, "pod", "not running in a pod"));
      return out;
    }
    if ("kubernetes".equals(leaderMode)) {
      out.addAll(lease());
    } else {
      out.add(
          Check.skip(
              AREA, "leader election", "crm.events.leader.mode=" + leaderMode + ": no Lease used"));
    }
    for (String f : folders) {
      out.add(folder(f));
    }
    return out;
  }

  private List<Check> lease() {
    List<Check> out = new ArrayList<>();
    // One try with short timeouts: a preflight answers in seconds, where the client's default
    // backoff would retry an unreachable API server for about 20 s.
    ConfigBuilder cb =
        new ConfigBuilder(Config.autoConfigure(null))
            .withRequestRetryBackoffLimit(0)
            .withConnectionTimeout(5_000)
            .withRequestTimeout(10_000);
    if (masterUrl != null) {
      cb.withMasterUrl(masterUrl);
    }
    if (namespace != null) {
      cb.withNamespace(namespace);
    }
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(cb.build()).build()) {
      String ns = client.getNamespace();
      if (ns == null) {
        out.add(
            Check.fail(
                AREA,
                "Lease permissions",
                "no namespace (crm.events.leader.kubernetes.namespace unset)",
                "set crm.events.leader.kubernetes.namespace"));
        return out;
      }
      List<String> denied = new ArrayList<>();
      for (String verb : List.of("get", "create", "update")) {
        SelfSubjectAccessReview review =
            new SelfSubjectAccessReviewBuilder()
                .withNewSpec()
                .withResourceAttributes(
                    new ResourceAttributesBuilder()
                        .withGroup("coordination.k8s.io")
                        .withResource("leases")
                        .withVerb(verb)
                        .withNamespace(ns)
                        .build())
                .endSpec()
                .build();
        SelfSubjectAccessReview answer =
            client.authorization().v1().selfSubjectAccessReview().create(review);
        if (answer.getStatus() == null || !Boolean.TRUE.equals(answer.getStatus().getAllowed())) {
          denied.add(verb);
        }
      }
      String name = "Lease permissions (" + leaseName + "-crm-events in " + ns + ")";
      out.add(
          denied.isEmpty()
              ? Check.pass(AREA, name, "get, create, update allowed")
              : Check.fail(
                  AREA,
                  name,
                  "denied: " + String.join(", ", denied),
                  "bind the pod's service account to a Role allowing get, create, update on"
                      + " leases.coordination.k8s.io (deploy/kubernetes RBAC)"));
    } catch (Exception e) {
      out.add(
          Check.fail(
              AREA,
              "Lease permissions",
              "could not ask the API server: " + Check.error(e),
              "check the service account token and the API server address"));
    }
    return out;
  }

  private static Check folder(String f) {
    Path p = Path.of(f);
    String name = "mounted " + f;
    if (!Files.exists(p)) {
      return Check.fail(
          AREA,
          name,
          "missing",
          "mount the ConfigMap at " + f + " (volumeMounts in the Deployment)");
    }
    if (Files.isDirectory(p)) {
      try (Stream<Path> s = Files.list(p)) {
        long n = s.count();
        return n > 0
            ? Check.pass(AREA, name, n + " entries")
            : Check.fail(AREA, name, "empty", "check the ConfigMap mounted at " + f);
      } catch (Exception e) {
        return Check.fail(AREA, name, Check.error(e), "");
      }
    }
    return Check.pass(AREA, name, "present");
  }
}
