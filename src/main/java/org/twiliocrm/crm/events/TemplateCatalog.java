package org.twiliocrm.crm.events;

import java.util.Optional;
import java.util.Set;
import org.twiliocrm.outbound.Templates;

/**
 * The outbox's message templates (the files' current good set, which a reload replaces) as seen
 * from here: whether a name exists and which variables it needs. Checked when the event arrives so
 * a bad template name goes back to the CRM record at once instead of failing later in the outbox.
 */
@FunctionalInterface
interface TemplateCatalog {
  /** The variables the template uses, or empty when there is no such template. */
  Optional<Set<String>> variables(String name);

  static TemplateCatalog of(Templates templates) {
    return name -> templates.find(name).map(t -> t.usedVariables());
  }
}
