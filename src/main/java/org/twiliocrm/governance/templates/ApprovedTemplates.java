package org.twiliocrm.governance.templates;

import java.util.Optional;

/** Where the send path gets the only text it may send: a template's last approved version. */
@FunctionalInterface
public interface ApprovedTemplates {
  /** The last approved version of the template, or empty when none was ever approved. */
  Optional<MessageTemplate> approved(String templateName);
}
