package org.twiliocrm.crm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FieldMappingTest {
  @Test
  void mapsSourcesAndConstantsInOrder() {
    FieldMapping m =
        FieldMapping.parse(
            "taskFields", "Subject=subject, Status='Completed',, ", FieldMapping.TASK_SOURCES);
    ObjectNode r = new ObjectMapper().createObjectNode();
    m.apply(r, Map.of("subject", "SMS reply"));
    assertThat(r.toString()).isEqualTo("{\"Subject\":\"SMS reply\",\"Status\":\"Completed\"}");
  }

  @Test
  void unknownSourceIsRefusedWithTheKnownOnes() {
    assertThatThrownBy(
            () -> FieldMapping.parse("fields", "Body__c=detail", FieldMapping.MESSAGE_SOURCES))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fields: unknown source 'detail' for Body__c")
        .hasMessageContaining("deliveredAt");
  }

  @Test
  void malformedItemsAndDuplicateFieldsAreRefused() {
    assertThatThrownBy(() -> FieldMapping.parse("links", "Contact", null))
        .hasMessageContaining("each item must read SalesforceField=source, got 'Contact'");
    assertThatThrownBy(() -> FieldMapping.parse("links", "Contact=", null))
        .hasMessageContaining("got 'Contact='");
    assertThatThrownBy(
            () -> FieldMapping.parse("fields", "Name=sid, Name=to", FieldMapping.MESSAGE_SOURCES))
        .hasMessageContaining("field Name is mapped twice");
  }
}
