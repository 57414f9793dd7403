package org.twiliocrm.crm.metadata;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The Salesforce package of {@code salesforce/} (sfdx source format), read from the classpath copy
 * the build puts into the jar ({@code salesforce-package/}) or from a directory. It is the one
 * source of truth for the connector's Salesforce schema: the sandbox org builds its objects from
 * it, and preflight checks a real org against it.
 */
public final class SalesforcePackage {
  /** Where the build copies {@code salesforce/} on the classpath (pom.xml resources). */
  public static final String CLASSPATH_ROOT = "salesforce-package";

  static final String SOURCE = "force-app/main/default";

  private final Map<String, PackagedObject> objects;
  private final Set<String> cdcObjects;
  private final Map<String, Access> objectAccess;
  private final Map<String, Access> fieldAccess;
  private final String permissionSetName;
  private final List<String> listViews;

  private SalesforcePackage(
      Map<String, PackagedObject> objects,
      Set<String> cdcObjects,
      Map<String, Access> objectAccess,
      Map<String, Access> fieldAccess,
      String permissionSetName,
      List<String> listViews) {
    this.objects = Collections.unmodifiableMap(objects);
    this.cdcObjects = Collections.unmodifiableSet(cdcObjects);
    this.objectAccess = Collections.unmodifiableMap(objectAccess);
    this.fieldAccess = Collections.unmodifiableMap(fieldAccess);
    this.permissionSetName = permissionSetName;
    this.listViews = List.copyOf(listViews);
  }

  private static volatile SalesforcePackage bundled;

  /** The package packaged into the jar (read once). */
  public static SalesforcePackage bundled() {
    SalesforcePackage p = bundled;
    if (p == null) {
      URL marker = SalesforcePackage.class.getResource("/" + CLASSPATH_ROOT + "/sfdx-project.json");
      if (marker == null) {
        throw new IllegalStateException(
            "the Salesforce package is not on the classpath (" + CLASSPATH_ROOT + "/)");
      }
      try {
        URI uri = marker.toURI();
        if ("jar".equals(uri.getScheme())) {
          try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
            p = load(fs.getPath("/" + CLASSPATH_ROOT));
          }
        } else {
          p = load(Path.of(uri).getParent());
        }
      } catch (URISyntaxException | IOException e) {
        throw new IllegalStateException("cannot read the bundled Salesforce package: " + e, e);
      }
      bundled = p;
    }
    return p;
  }

  /** Reads the package from the directory holding {@code sfdx-project.json}. */
  public static SalesforcePackage load(Path root) {
    Path src = root.resolve(SOURCE);
    if (!Files.isDirectory(src)) {
      throw new IllegalArgumentException("no " + SOURCE + " under " + root);
    }
    Map<String, PackagedObject> objects = new TreeMap<>();
    List<String> listViews = new ArrayList<>();
    Path objectsDir = src.resolve("objects");
    for (Path dir : list(objectsDir)) {
      String name = dir.getFileName().toString().replace("/", "");
      PackagedObject.Kind kind = PackagedObject.kindOf(name);
      String label = "";
      String description = "";
      Path meta = dir.resolve(name + ".object-meta.xml");
      if (Files.exists(meta)) {
        Element o = parse(meta, "CustomObject");
        label = text(o, "label");
        description = text(o, "description");
      } else if (kind != PackagedObject.Kind.STANDARD) {
        throw new IllegalArgumentException(
            meta + " is missing: a custom object needs its definition");
      }
      Map<String, PackagedField> fields = new LinkedHashMap<>();
      for (Path f : list(dir.resolve("fields"))) {
        PackagedField pf = field(parse(f, "CustomField"), f);
        String expected = pf.name() + ".field-meta.xml";
        if (!f.getFileName().toString().equals(expected)) {
          throw new IllegalArgumentException(
              f + ": fullName " + pf.name() + " does not match the file");
        }
        fields.put(pf.name(), pf);
      }
      for (Path v : list(dir.resolve("listViews"))) {
        parse(v, "ListView");
        listViews.add(name + "." + v.getFileName().toString().replace(".listView-meta.xml", ""));
      }
      objects.put(name, new PackagedObject(name, label, kind, description, fields));
    }
    Set<String> cdc = new LinkedHashSet<>();
    for (Path m : list(src.resolve("platformEventChannelMembers"))) {
      Element e = parse(m, "PlatformEventChannelMember");
      String channel = text(e, "eventChannel");
      String entity = text(e, "selectedEntity");
      if (!"ChangeEvents".equals(channel) || !entity.endsWith("ChangeEvent")) {
        throw new IllegalArgumentException(
            m + ": expected eventChannel ChangeEvents and a selectedEntity ending ChangeEvent");
      }
      String object = entity.substring(0, entity.length() - "ChangeEvent".length());
      // Custom objects' change events are named Foo__ChangeEvent.
      cdc.add(object.endsWith("__") ? object + "c" : object);
    }
    Map<String, Access> objectAccess = new TreeMap<>();
    Map<String, Access> fieldAccess = new TreeMap<>();
    String psName = null;
    for (Path ps : list(src.resolve("permissionsets"))) {
      if (psName != null) {
        throw new IllegalArgumentException("expected one permission set, found another: " + ps);
      }
      psName = ps.getFileName().toString().replace(".permissionset-meta.xml", "");
      Element psRoot = parse(ps, "PermissionSet");
      for (Element op : children(psRoot, "objectPermissions")) {
        objectAccess.put(
            text(op, "object"),
            new Access(bool(op, "allowRead"), bool(op, "allowCreate"), bool(op, "allowEdit")));
      }
      for (Element fp : children(psRoot, "fieldPermissions")) {
        boolean edit = bool(fp, "editable");
        String field = text(fp, "field");
        if (field.startsWith(ACTIVITY + ".")) {
          // Granted on Activity (where the field is deployed), used on Task: kept as Task's.
          field = described(ACTIVITY) + field.substring(ACTIVITY.length());
        }
        fieldAccess.put(field, new Access(bool(fp, "readable"), edit, edit));
      }
    }
    return new SalesforcePackage(
        objects, cdc, objectAccess, fieldAccess, psName == null ? "" : psName, listViews);
  }

  public Map<String, PackagedObject> objects() {
    return objects;
  }

  /**
   * Where Salesforce keeps the custom fields of Tasks and Events: they are deployed on {@code
   * Activity} (objects/Activity/fields) and appear on both.
   */
  public static final String ACTIVITY = "Activity";

  private static final Set<String> ACTIVITIES = Set.of("Task", "Event");

  /**
   * The package's custom fields as they appear on {@code object}: its own, and for Task and Event
   * the Activity fields.
   */
  public Map<String, PackagedField> fieldsOf(String object) {
    Map<String, PackagedField> out = new LinkedHashMap<>();
    PackagedObject own = objects.get(object);
    if (own != null) {
      out.putAll(own.fields());
    }
    PackagedObject activity = objects.get(ACTIVITY);
    if (activity != null && ACTIVITIES.contains(object)) {
      out.putAll(activity.fields());
    }
    return out;
  }

  /** A packaged custom field as it appears on {@code object}, or null (see {@link #fieldsOf}). */
  public PackagedField field(String object, String field) {
    return fieldsOf(object).get(field);
  }

  /** Objects whose Change Data Capture the package selects. */
  public Set<String> cdcObjects() {
    return cdcObjects;
  }

  /** Object access of the permission set, by object name. */
  public Map<String, Access> objectAccess() {
    return objectAccess;
  }

  /** Field access of the permission set, by {@code Object.Field} (Activity fields as Task's). */
  public Map<String, Access> fieldAccess() {
    return fieldAccess;
  }

  public String permissionSetName() {
    return permissionSetName;
  }

  /** {@code Object.ListView} names. */
  public List<String> listViews() {
    return listViews;
  }

  /**
   * Every field the connector needs, by {@code Object.Field}: the package's custom fields and the
   * standard fields its permission set grants.
   */
  public Set<String> requiredFields() {
    Set<String> out = new LinkedHashSet<>();
    // Activity fields are checked on Task, the activity the connector creates.
    objects
        .values()
        .forEach(o -> o.fields().keySet().forEach(f -> out.add(described(o.name()) + "." + f)));
    out.addAll(fieldAccess.keySet());
    return out;
  }

  /**
   * Every object the connector needs: packaged objects and those the permission set grants
   * (Activity as Task: Activity itself has no describe).
   */
  public Set<String> requiredObjects() {
    Set<String> out = new LinkedHashSet<>();
    objects.keySet().forEach(o -> out.add(described(o)));
    out.addAll(objectAccess.keySet());
    return out;
  }

  private static String described(String object) {
    return ACTIVITY.equals(object) ? "Task" : object;
  }

  // ---- XML ----

  private static PackagedField field(Element f, Path file) {
    String name = text(f, "fullName");
    String type = text(f, "type");
    if (name.isEmpty() || type.isEmpty()) {
      throw new IllegalArgumentException(file + ": a field needs fullName and type");
    }
    try {
      PackagedField.apiType(type);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
    List<String> values = new ArrayList<>();
    for (Element vs : children(f, "valueSet")) {
      for (Element def : children(vs, "valueSetDefinition")) {
        for (Element v : children(def, "value")) {
          values.add(text(v, "fullName"));
        }
      }
    }
    String ref = text(f, "referenceTo");
    String dflt = text(f, "defaultValue");
    return new PackagedField(
        name,
        type,
        integer(f, "length"),
        integer(f, "precision"),
        integer(f, "scale"),
        bool(f, "externalId"),
        bool(f, "unique"),
        bool(f, "required"),
        ref.isEmpty() ? null : ref,
        List.copyOf(values),
        text(f, "label"),
        text(f, "inlineHelpText"),
        dflt.isEmpty() ? null : dflt);
  }

  private static List<Path> list(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Element parse(Path file, String rootName) {
    try (InputStream in = Files.newInputStream(file)) {
      Document d = builder().parse(in);
      Element root = d.getDocumentElement();
      if (!rootName.equals(root.getLocalName())
          || !"http://soap.sforce.com/2006/04/metadata".equals(root.getNamespaceURI())) {
        throw new IllegalArgumentException(
            file
                + ": expected <"
                + rootName
                + " xmlns=\"http://soap.sforce.com/2006/04/metadata\">");
      }
      return root;
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    } catch (SAXException e) {
      throw new IllegalArgumentException(file + ": not well-formed XML: " + e.getMessage(), e);
    }
  }

  private static DocumentBuilder builder() {
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setNamespaceAware(true);
      // Metadata files never need a DTD; refusing them rules out XXE.
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      return f.newDocumentBuilder();
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      Node n = nodes.item(i);
      if (n instanceof Element e && name.equals(e.getLocalName())) {
        out.add(e);
      }
    }
    return out;
  }

  static String text(Element parent, String name) {
    List<Element> c = children(parent, name);
    return c.isEmpty() ? "" : c.get(0).getTextContent().trim();
  }

  private static boolean bool(Element parent, String name) {
    return "true".equals(text(parent, name));
  }

  private static int integer(Element parent, String name) {
    String t = text(parent, name);
    return t.isEmpty() ? 0 : Integer.parseInt(t);
  }
}
