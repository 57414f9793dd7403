package org.twiliocrm.governance;

import java.time.Instant;
import java.util.List;

/**
 * One approval request: the rows one policy rule held for one campaign, waiting for a human.
 *
 * @param id the request's id
 * @param rule the policy rule that held the rows
 * @param campaign the rows' campaign key (for rules that group by template version: {@code
 *     template:name@version}); null when the rows had none
 * @param status PENDING, APPROVED, REJECTED or EXPIRED
 * @param reason what the rule saw (every rule that matched the first row)
 * @param rowCount rows held under this request so far
 * @param templateName the template of the first held row (null for free text)
 * @param channel the channel of the first held row
 * @param countries destination regions of the held rows (ISO codes)
 * @param sample the first held row's rendered text, recipient masked
 * @param requestedBy identities that caused the hold (the rows' requested_by, or their source
 *     {@code crm:Object} / {@code table}); none of them may approve (four eyes)
 * @param policyHash SHA-256 of the policy file that held the rows
 * @param expiresAt when the request expires and its rows fail with APPROVAL_EXPIRED
 * @param decidedBy who approved or rejected it (null while pending; "connector" on expiry)
 */
public record ApprovalRequest(
    long id,
    String rule,
    String campaign,
    String status,
    String reason,
    int rowCount,
    String templateName,
    String channel,
    List<String> countries,
    String sample,
    List<String> requestedBy,
    String policyHash,
    Instant createdAt,
    Instant expiresAt,
    Instant decidedAt,
    String decidedBy,
    String comment) {
  public boolean pending() {
    return "PENDING".equals(status);
  }
}
