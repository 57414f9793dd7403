package org.twiliocrm.sandbox.twilio;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** Reads the TwiML verbs the sandbox acts on. XML entities and DOCTYPEs are refused. */
final class Twiml {
  private Twiml() {}

  /** One verb: its name, attributes and text (for Gather, its nested Say texts too). */
  record Verb(String name, Element element) {
    String attr(String name) {
      String v = element.getAttribute(name);
      return v == null || v.isEmpty() ? null : v;
    }

    String text() {
      return element.getTextContent().trim();
    }
  }

  static List<Verb> parse(String xml) {
    if (xml == null || xml.isBlank()) {
      return List.of();
    }
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setExpandEntityReferences(false);
      DocumentBuilder b = f.newDocumentBuilder();
      b.setErrorHandler(null);
      Document d = b.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
      Element root = d.getDocumentElement();
      if (!"Response".equals(root.getTagName())) {
        throw new IllegalArgumentException(
            "TwiML root must be <Response>, got <" + root.getTagName() + ">");
      }
      List<Verb> out = new ArrayList<>();
      for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element e) {
          out.add(new Verb(e.getTagName(), e));
        }
      }
      return out;
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalArgumentException("TwiML is not well-formed XML: " + e.getMessage());
    }
  }

  /** The text of a {@code <Message>}: its {@code <Body>} child, or its own text. */
  static String messageBody(Verb v) {
    var bodies = v.element().getElementsByTagName("Body");
    if (bodies.getLength() > 0) {
      return bodies.item(0).getTextContent().trim();
    }
    return v.text();
  }
}
