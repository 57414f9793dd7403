package org.twiliocrm.app;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.twiliocrm.config.ConnectorConfig;

/**
 * Resolves where routes and kamelets are read from. A directory on the file system (a Kubernetes
 * ConfigMap mount, or the project's own routes/ and kamelets/) wins; the copies packaged in the
 * artifact are the fallback, so the jar runs anywhere on its own.
 */
record DslLocations(String routesPattern, String kameletLocation, String routesDescription) {

  static DslLocations resolve(ConnectorConfig.Dsl dsl) {
    // connector.routes.location may list several directories (comma-separated): the shipped
    // routes plus an example's or a team's own. Each existing one is loaded; a file in a later
    // folder replaces the file of the same name in an earlier one (an example's own
    // writeback-to-salesforce.camel.yaml replaces the shipped mapping). None existing falls back to
    // the packaged routes.
    java.util.List<Path> dirs = routeDirectories(dsl);
    java.util.List<String> found = new java.util.ArrayList<>();
    for (Path routes : dirs) {
      if (Files.isDirectory(routes)) {
        found.add(routes.toString());
      }
    }
    String routesPattern;
    String description;
    if (!found.isEmpty()) {
      java.util.List<Path> files;
      try {
        files = routeFiles(dirs);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      routesPattern =
          files.isEmpty()
              ? "file:" + found.get(0) + "/*.yaml"
              : files.stream().map(f -> "file:" + f).collect(Collectors.joining(","));
      description = String.join(", ", found);
    } else {
      routesPattern = packagedRoutes();
      description = "packaged routes (no directory " + dsl.routesLocation() + ")";
    }
    Path kamelets = Path.of(dsl.kameletsLocation()).toAbsolutePath().normalize();
    String kameletLocation =
        Files.isDirectory(kamelets)
            ? "file:" + kamelets + ",classpath:kamelets"
            : "classpath:kamelets";
    return new DslLocations(routesPattern, kameletLocation, description);
  }

  /**
   * The *.yaml route files of these folders, in order; a file whose name a later folder also has is
   * replaced by that later one (the run and validate apply the same rule).
   */
  static java.util.List<Path> routeFiles(java.util.List<Path> dirs) throws IOException {
    java.util.Map<String, Path> byName = new java.util.LinkedHashMap<>();
    for (Path d : dirs) {
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (java.util.stream.Stream<Path> s = Files.list(d)) {
        for (Path f :
            s.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList()) {
          String name = f.getFileName().toString();
          byName.remove(name); // a replacement loads in its own folder's order
          byName.put(name, f);
        }
      }
    }
    return java.util.List.copyOf(byName.values());
  }

  /** The directories connector.routes.location names, absolute. */
  static java.util.List<Path> routeDirectories(ConnectorConfig.Dsl dsl) {
    java.util.List<Path> out = new java.util.ArrayList<>();
    for (String part : dsl.routesLocation().split(",")) {
      if (!part.isBlank()) {
        out.add(Path.of(part.trim()).toAbsolutePath().normalize());
      }
    }
    return out;
  }

  /**
   * Names each packaged route explicitly. A {@code classpath:routes/*.yaml} wildcard makes Camel
   * stream through the whole 70 MB jar, which cost four seconds of start-up; the jar's central
   * directory lists the same entries in milliseconds.
   */
  static String packagedRoutes() {
    try {
      Path self =
          Path.of(DslLocations.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(self)) {
        try (JarFile jar = new JarFile(self.toFile())) {
          String list =
              jar.stream()
                  .map(JarEntry::getName)
                  .filter(n -> n.startsWith("routes/") && n.endsWith(".yaml"))
                  .sorted()
                  .map(n -> "classpath:" + n)
                  .collect(Collectors.joining(","));
          if (!list.isEmpty()) {
            return list;
          }
        }
      }
    } catch (IOException | URISyntaxException | RuntimeException e) {
      // fall through to the scanning pattern, slower but correct
    }
    return "classpath:routes/*.yaml";
  }
}
