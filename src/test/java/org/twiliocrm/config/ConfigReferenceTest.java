package org.twiliocrm.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.twiliocrm.app.ConfigReference;

/**
 * Each key is declared once (a {@link Key} constant): application.properties writes the same
 * default and, as the comment above it, the same description; docs/configuration.md is generated
 * from the declarations and must be current.
 */
class ConfigReferenceTest {
  private static final Path PROPERTIES = Path.of("src/main/resources/application.properties");
  private static final Path REFERENCE = Path.of("docs/configuration.md");

  @Test
  void propertiesFileWritesEachDeclaredDefaultAndDescription() throws Exception {
    Properties values = new Properties();
    try (Reader r = Files.newBufferedReader(PROPERTIES, StandardCharsets.UTF_8)) {
      values.load(r);
    }
    Map<String, String> comments = commentsAbove();
    List<String> problems = new ArrayList<>();
    Set<String> declared = new HashSet<>();
    for (Key<?> k : ConfigReference.all()) {
      assertThat(declared.add(k.name())).as("%s declared twice", k.name()).isTrue();
      if (!values.containsKey(k.name())) {
        problems.add(k.name() + ": missing from application.properties");
        continue;
      }
      if (!values.getProperty(k.name()).trim().equals(k.defaultText())) {
        problems.add(
            k.name()
                + ": default '"
                + k.defaultText()
                + "' declared, '"
                + values.getProperty(k.name())
                + "' in the file");
      }
      if (!k.description().equals(comments.get(k.name()))) {
        problems.add(
            k.name()
                + ": description '"
                + k.description()
                + "' declared, comment '"
                + comments.get(k.name())
                + "' in the file");
      }
      // The declared default text reads back without error (a default that fails its own
      // validation could never be the default).
      k.defaultValue();
    }
    for (String name : values.stringPropertyNames()) {
      if (!declared.contains(name)) {
        problems.add(name + ": in application.properties but declared by no settings class");
      }
    }
    assertThat(problems).isEmpty();
    assertThat(declared).hasSizeGreaterThan(130);
  }

  @Test
  void referenceTableIsGeneratedFromTheDeclarations() throws Exception {
    String expected = ConfigReference.markdown();
    if (Boolean.getBoolean("config.reference.write")) {
      Files.writeString(REFERENCE, expected, StandardCharsets.UTF_8);
    }
    assertThat(Files.readString(REFERENCE, StandardCharsets.UTF_8))
        .as("docs/configuration.md is stale: rerun with -Dconfig.reference.write=true")
        .isEqualTo(expected);
    for (Key<?> k : ConfigReference.all()) {
      assertThat(expected).contains("`" + k.name() + "`");
    }
  }

  /** The comment block right above each key, lines joined with a space (section rules excluded). */
  private static Map<String, String> commentsAbove() throws Exception {
    List<String> lines = Files.readAllLines(PROPERTIES, StandardCharsets.UTF_8);
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      List<String> block = new ArrayList<>();
      for (int j = i - 1;
          j >= 0 && lines.get(j).startsWith("#") && !lines.get(j).startsWith("# ----");
          j--) {
        block.add(0, lines.get(j).substring(1).trim());
      }
      out.put(line.substring(0, line.indexOf('=')).trim(), String.join(" ", block));
    }
    return out;
  }
}
