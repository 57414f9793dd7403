package org.twiliocrm.crm.events;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;

/**
 * SOQL through the camel-salesforce component the connector configures once ({@code
 * camel.component.salesforce.*}), so look-ups share its login, token refresh and HTTP client.
 */
final class CamelSoqlClient implements SoqlClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Supplier<CamelContext> contextSupplier;
  private volatile ProducerTemplate template;

  CamelSoqlClient(Supplier<CamelContext> context) {
    this.contextSupplier = context;
  }

  @Override
  public List<Map<String, Object>> query(String soql) throws Exception {
    CamelContext context = contextSupplier.get();
    if (template == null) {
      template = context.createProducerTemplate();
    }
    Object reply =
        template.requestBodyAndHeader(
            "salesforce:query?rawPayload=true", null, "sObjectQuery", soql);
    String text = context.getTypeConverter().mandatoryConvertTo(String.class, reply);
    Map<String, Object> result = JSON.readValue(text, new TypeReference<>() {});
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> records = (List<Map<String, Object>>) result.get("records");
    return records == null ? List.of() : records;
  }
}
