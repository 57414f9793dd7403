package org.twiliocrm.crm.metadata;

/** Read / create / edit as granted by the package's permission set. */
public record Access(boolean read, boolean create, boolean edit) {}
