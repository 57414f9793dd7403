package org.twiliocrm.app;

public class ConnectorMain {
  public static void main(String[] a) {}
}
