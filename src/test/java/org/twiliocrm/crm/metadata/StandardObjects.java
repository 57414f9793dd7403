package org.twiliocrm.crm.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;

/** The sandbox's catalog of the platform's standard objects (standard-objects.json). */
final class StandardObjects {
  private StandardObjects() {}

  static JsonNode read() throws IOException {
    try (InputStream in =
        StandardObjects.class.getResourceAsStream("/sandbox/salesforce/standard-objects.json")) {
      return new ObjectMapper().readTree(in);
    }
  }

  /** The field's entry, or null. */
  static JsonNode field(JsonNode catalog, String object, String field) {
    for (JsonNode o : catalog.path("objects")) {
      if (o.path("name").asText().equals(object)) {
        for (JsonNode f : o.path("fields")) {
          if (f.path("name").asText().equals(field)) {
            return f;
          }
        }
      }
    }
    return null;
  }
}
