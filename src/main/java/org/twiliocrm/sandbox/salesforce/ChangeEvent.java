package org.twiliocrm.sandbox.salesforce;

import java.util.List;
import java.util.Map;

/**
 * One committed record change, the raw material of a Change Data Capture event.
 *
 * @param type the changed object
 * @param changeType CREATE, UPDATE or DELETE
 * @param recordId the record
 * @param changedFields fields whose value changed (UPDATE)
 * @param values new values of the fields the event carries
 * @param nulledFields fields set to null (UPDATE)
 * @param transactionKey shared by all changes of one API transaction
 * @param sequenceNumber position of this change inside its transaction, from 1
 * @param commitTimestamp epoch millis of the commit
 * @param commitUser the user who made the change (the integration user, or a named user through the
 *     control API's update-as)
 */
public record ChangeEvent(
    SObjectType type,
    String changeType,
    String recordId,
    List<String> changedFields,
    Map<String, Object> values,
    List<String> nulledFields,
    String transactionKey,
    int sequenceNumber,
    long commitTimestamp,
    String commitUser) {}
