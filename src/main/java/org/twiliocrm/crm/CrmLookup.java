package org.twiliocrm.crm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twiliocrm.config.Redaction;

/**
 * Finds the CRM record of a phone number when no outbound message links it: SOQL over the objects
 * and phone fields of the mapping (Contact MobilePhone/Phone, then Lead), through camel-salesforce.
 * Results, misses included, are cached for the life of the process to spare API calls.
 */
public final class CrmLookup {
  private static final Logger LOG = LoggerFactory.getLogger(CrmLookup.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  public record Found(String object, String id) {}

  private static final Found NONE = new Found(null, null);

  private final Map<String, List<String>> phoneFields;
  private final Map<String, Found> cache =
      Collections.synchronizedMap(
          new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Found> e) {
              return size() > 10_000;
            }
          });
  private final LazyProducerTemplate template = new LazyProducerTemplate();

  /** {@code Contact=MobilePhone|Phone,Lead=MobilePhone|Phone}: objects in the order tried. */
  public CrmLookup(String spec) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    FieldMapping.parse("webhook.crm.lookup", spec, null)
        .fields()
        .forEach((object, fields) -> m.put(object, List.of(fields.split("\\|"))));
    this.phoneFields = m;
  }

  /** The record for this phone, or null; a failed query throws so the action is retried. */
  public Found byPhone(CamelContext context, String phone) {
    Found cached = cache.get(phone);
    if (cached != null) {
      return cached == NONE ? null : cached;
    }
    ProducerTemplate t = template.get(context);
    String quoted = "'" + phone.replace("\\", "\\\\").replace("'", "\\'") + "'";
    for (Map.Entry<String, List<String>> e : phoneFields.entrySet()) {
      StringBuilder where = new StringBuilder();
      for (String f : e.getValue()) {
        if (where.length() > 0) {
          where.append(" OR ");
        }
        where.append(f).append(" = ").append(quoted);
      }
      String soql = "SELECT Id FROM " + e.getKey() + " WHERE " + where + " LIMIT 1";
      // The query goes in a header: '+' in an endpoint URI would become a space.
      String reply =
          t.requestBodyAndHeader(
              "salesforce:query?rawPayload=true", null, "sObjectQuery", soql, String.class);
      try {
        JsonNode records = JSON.readTree(reply).path("records");
        if (records.isArray() && records.size() > 0) {
          Found f = new Found(e.getKey(), records.get(0).path("Id").asText());
          cache.put(phone, f);
          return f;
        }
      } catch (Exception ex) {
        throw new IllegalStateException("unreadable SOQL reply for " + e.getKey(), ex);
      }
    }
    LOG.info("No CRM record has phone {}", Redaction.phone(phone));
    cache.put(phone, NONE);
    return null;
  }
}
