package org.twiliocrm.sandbox.salesforce;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.apache.camel.component.salesforce.api.dto.AbstractDescribedSObjectBase;
import org.apache.camel.component.salesforce.api.dto.SObjectDescription;

/**
 * A hand-written stand-in for the DTO camel-salesforce's generator would produce, named like the
 * object because camel-salesforce takes the record type from the class name.
 */
@SuppressWarnings("checkstyle:TypeName")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Twilio_Message__c extends AbstractDescribedSObjectBase {
  private String messageSid;
  private String status;
  private String errorCode;

  public Twilio_Message__c() {}

  public Twilio_Message__c(String messageSid, String status, String errorCode) {
    this.messageSid = messageSid;
    this.status = status;
    this.errorCode = errorCode;
  }

  @JsonProperty("Message_Sid__c")
  public String getMessageSid() {
    return messageSid;
  }

  @JsonProperty("Message_Sid__c")
  public void setMessageSid(String v) {
    messageSid = v;
  }

  @JsonProperty("Status__c")
  public String getStatus() {
    return status;
  }

  @JsonProperty("Status__c")
  public void setStatus(String v) {
    status = v;
  }

  @JsonProperty("Error_Code__c")
  public String getErrorCode() {
    return errorCode;
  }

  @JsonProperty("Error_Code__c")
  public void setErrorCode(String v) {
    errorCode = v;
  }

  @Override
  public SObjectDescription description() {
    SObjectDescription d = new SObjectDescription();
    d.setName("Twilio_Message__c");
    return d;
  }
}
