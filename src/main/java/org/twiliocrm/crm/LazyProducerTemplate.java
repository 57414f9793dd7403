package org.twiliocrm.crm;

import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;

/**
 * One ProducerTemplate for a bean's Salesforce calls, created on first use from the exchange's
 * context (the bean is built before the CamelContext exists) and reused after; created once even
 * when the first calls race.
 */
final class LazyProducerTemplate {
  private volatile ProducerTemplate template;

  ProducerTemplate get(CamelContext context) {
    ProducerTemplate t = template;
    if (t == null) {
      synchronized (this) {
        if (template == null) {
          template = context.createProducerTemplate();
        }
        t = template;
      }
    }
    return t;
  }
}
