package org.twiliocrm.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every key in application.properties carries a one-line comment right above it and a default. */
class PropertiesDocumentedTest {
  @Test
  void everyKeyHasACommentAbove() throws Exception {
    List<String> lines =
        Files.readAllLines(
            Path.of("src/main/resources/application.properties"), StandardCharsets.UTF_8);
    List<String> undocumented = new ArrayList<>();
    int keys = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      keys++;
      assertThat(line).as("line %d is key=value", i + 1).contains("=");
      String previous = i == 0 ? "" : lines.get(i - 1).trim();
      if (!previous.startsWith("#") || previous.startsWith("# ----") || previous.length() < 6) {
        undocumented.add(line.substring(0, line.indexOf('=')));
      }
    }
    assertThat(keys).isGreaterThan(10);
    assertThat(undocumented).as("keys without a comment line above").isEmpty();
  }
}
