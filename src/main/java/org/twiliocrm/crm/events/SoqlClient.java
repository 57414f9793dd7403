package org.twiliocrm.crm.events;

import java.util.List;
import java.util.Map;

/** Runs one SOQL query and returns its records (fields by API name). */
@FunctionalInterface
public interface SoqlClient {
  List<Map<String, Object>> query(String soql) throws Exception;
}
