package org.twiliocrm.config;

import java.nio.file.Path;

/** One problem in a route or kamelet file: where it is and what is wrong. */
public record Finding(Path file, int line, String problem) {
  @Override
  public String toString() {
    return file + (line > 0 ? ":" + line : "") + ": " + problem;
  }
}
