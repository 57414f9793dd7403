package org.twiliocrm.crm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.twiliocrm.dsl.WritebackMappings;

class TaskWritebackTest {
  @Test
  void theSidFieldIsTheOneMappedFromSid() {
    assertThat(
            TaskWriteback.sidField(
                FieldMapping.parse(
                    "taskFields",
                    "Subject=subject, Twilio_Sid__c=sid, Status='Completed'",
                    FieldMapping.TASK_SOURCES)))
        .isEqualTo("Twilio_Sid__c");
    assertThat(
            TaskWriteback.sidField(
                FieldMapping.parse("taskFields", "Subject=subject", FieldMapping.TASK_SOURCES)))
        .isNull();
  }

  @Test
  void validateNotesATaskMappingWithoutSid() {
    String route =
        """
        - route:
            from:
              uri: timer:t
              steps:
                - to:
                    uri: kamelet:salesforce-writeback-actions-sink
                    parameters:
                      taskFields: Subject=subject, Description=detail
        """;
    assertThat(WritebackMappings.notes(Path.of("r.camel.yaml"), route))
        .singleElement()
        .asString()
        .contains("r.camel.yaml:8")
        .contains("taskFields maps no field to sid");
    assertThat(
            WritebackMappings.notes(
                Path.of("r.camel.yaml"), route.replace("detail", "detail, Twilio_Sid__c=sid")))
        .isEmpty();
  }
}
