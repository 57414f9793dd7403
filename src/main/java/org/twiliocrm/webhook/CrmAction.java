package org.twiliocrm.webhook;

/**
 * A {@code crm_action} row: something a webhook asks of the CRM (a Task for a reply or a finished
 * call, an opt-out flag), queued in the transaction that applied the webhook and sent later by the
 * write-back. {@code id} is 0 until stored. {@code retried}: the write-back claimed it before
 * without recording a result, so that earlier attempt may have reached the CRM.
 */
public record CrmAction(
    long id,
    String kind,
    String sid,
    String phone,
    String crmObject,
    String crmRecordId,
    String detail,
    boolean retried) {

  public CrmAction(
      long id,
      String kind,
      String sid,
      String phone,
      String crmObject,
      String crmRecordId,
      String detail) {
    this(id, kind, sid, phone, crmObject, crmRecordId, detail, false);
  }

  public static final String TASK = "TASK";
  public static final String OPT_OUT = "OPT_OUT";
  public static final String OPT_IN = "OPT_IN";

  public CrmAction linkedTo(String object, String recordId) {
    return new CrmAction(id, kind, sid, phone, object, recordId, detail, retried);
  }
}
