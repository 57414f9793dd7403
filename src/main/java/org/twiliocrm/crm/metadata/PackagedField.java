package org.twiliocrm.crm.metadata;

import java.util.List;

/**
 * One custom field as the Salesforce package in {@code salesforce/} declares it.
 *
 * @param name API name, e.g. {@code Status__c}
 * @param metadataType the Metadata API type ({@code Text}, {@code LongTextArea}, {@code Lookup}...)
 * @param length text length (0 when not a text type)
 * @param precision digits of a Number (0 otherwise)
 * @param scale decimals of a Number
 * @param externalId usable as an upsert key
 * @param unique duplicates rejected
 * @param required required on create
 * @param referenceTo the target object of a Lookup (null otherwise)
 * @param picklistValues values of a restricted picklist
 * @param label field label
 * @param helpText inline help shown to users
 * @param defaultValue default formula (checkboxes), or null
 */
public record PackagedField(
    String name,
    String metadataType,
    int length,
    int precision,
    int scale,
    boolean externalId,
    boolean unique,
    boolean required,
    String referenceTo,
    List<String> picklistValues,
    String label,
    String helpText,
    String defaultValue) {

  /** The type the REST describe reports for a field of this metadata type. */
  public String apiType() {
    return apiType(metadataType);
  }

  /** Metadata API field type to the REST describe {@code type}. */
  public static String apiType(String metadataType) {
    return switch (metadataType) {
      case "Text", "AutoNumber", "EncryptedText" -> "string";
      case "TextArea", "LongTextArea", "Html" -> "textarea";
      case "Checkbox" -> "boolean";
      case "Picklist" -> "picklist";
      case "MultiselectPicklist" -> "multipicklist";
      case "Number" -> "double";
      case "Currency" -> "currency";
      case "Percent" -> "percent";
      case "Date" -> "date";
      case "DateTime" -> "datetime";
      case "Lookup", "MasterDetail" -> "reference";
      case "Phone" -> "phone";
      case "Email" -> "email";
      case "Url" -> "url";
      default -> throw new IllegalArgumentException("unsupported field type " + metadataType);
    };
  }
}
