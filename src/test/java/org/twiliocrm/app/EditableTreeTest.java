package org.twiliocrm.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The editable tree (issue 17 point 1): each top-level folder an engineer edits is documented in
 * the README table with the key that relocates it, and the kustomize base turns every file of it
 * into a ConfigMap mounted where the connector reads that folder in the image (/app/FOLDER).
 */
class EditableTreeTest {
  /** Folder -> the key that relocates it. */
  private static final Map<String, String> TREE =
      Map.of(
          "routes", "connector.routes.location",
          "kamelets", "connector.kamelets.location",
          "rules", "crm.events.rules-location",
          "templates", "outbox.templates.location",
          "governance", "governance.policies.location");

  private static Object yaml(Path p) throws Exception {
    return new Load(LoadSettings.builder().build()).loadFromString(Files.readString(p));
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyFolderIsMountedWhole() throws Exception {
    Map<String, Object> kustomization =
        (Map<String, Object>) yaml(Path.of("deploy/kubernetes/base/kustomization.yaml"));
    Map<String, Object> deployment =
        (Map<String, Object>) yaml(Path.of("deploy/kubernetes/base/deployment.yaml"));
    Map<String, Object> pod =
        (Map<String, Object>)
            ((Map<String, Object>) ((Map<String, Object>) deployment.get("spec")).get("template"))
                .get("spec");
    Map<String, Object> container = ((List<Map<String, Object>>) pod.get("containers")).get(0);
    List<String> problems = new ArrayList<>();
    for (String folder : TREE.keySet()) {
      List<String> files;
      try (Stream<Path> s = Files.list(Path.of(folder))) {
        files =
            s.filter(p -> p.getFileName().toString().endsWith(".yaml"))
                .map(p -> "../../../" + folder + "/" + p.getFileName())
                .sorted()
                .toList();
      }
      Map<String, Object> generator =
          ((List<Map<String, Object>>) kustomization.get("configMapGenerator"))
              .stream()
                  .filter(
                      g ->
                          g.get("files") instanceof List<?> l
                              && l.stream()
                                  .anyMatch(f -> f.toString().contains("/" + folder + "/")))
                  .findFirst()
                  .orElse(null);
      if (generator == null) {
        problems.add(folder + "/: no ConfigMap");
        continue;
      }
      List<String> listed = ((List<String>) generator.get("files")).stream().sorted().toList();
      if (!listed.equals(files)) {
        problems.add(folder + "/: ConfigMap lists " + listed + " but the folder holds " + files);
      }
      String volume =
          ((List<Map<String, Object>>) pod.get("volumes"))
              .stream()
                  .filter(
                      v ->
                          v.get("configMap") instanceof Map<?, ?> cm
                              && generator.get("name").equals(cm.get("name")))
                  .map(v -> String.valueOf(v.get("name")))
                  .findFirst()
                  .orElse(null);
      boolean mounted =
          volume != null
              && ((List<Map<String, Object>>) container.get("volumeMounts"))
                  .stream()
                      .anyMatch(
                          m ->
                              volume.equals(m.get("name"))
                                  && ("/app/" + folder).equals(m.get("mountPath")));
      if (!mounted) {
        problems.add(
            folder + "/: ConfigMap " + generator.get("name") + " not mounted at /app/" + folder);
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void theReadmeTableNamesEachFolderWithItsKeyAndTheKeysExist() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String properties = Files.readString(Path.of("src/main/resources/application.properties"));
    for (Map.Entry<String, String> e : TREE.entrySet()) {
      assertThat(readme)
          .as(e.getKey())
          .containsPattern(
              "\\| `" + e.getKey() + "/` \\|[^\\n]*`" + e.getValue().replace(".", "\\.") + "`");
      assertThat(properties).contains("\n" + e.getValue() + "=");
    }
    assertThat(readme).contains("| write-back field mappings |").contains("| `tests/` |");
  }
}
