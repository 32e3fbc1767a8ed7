package dev.kasoku.deploy;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Kubernetes resource quantities ("250m", "2", "1Gi", "512M") as numbers. */
final class Quantities {
  private static final Pattern QUANTITY = Pattern.compile("(\\d+(?:\\.\\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?");

  private Quantities() {}

  /** CPU in cores. */
  static double cpu(String q) {
    Matcher m = match(q);
    double n = Double.parseDouble(m.group(1));
    return "m".equals(m.group(2)) ? n / 1000 : n * factor(m.group(2));
  }

  /** Memory in bytes. */
  static double bytes(String q) {
    Matcher m = match(q);
    if ("m".equals(m.group(2))) {
      return Double.parseDouble(m.group(1)) / 1000;
    }
    return Double.parseDouble(m.group(1)) * factor(m.group(2));
  }

  private static Matcher match(String q) {
    Matcher m = QUANTITY.matcher(q.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a Kubernetes quantity: " + q);
    }
    return m;
  }

  private static double factor(String suffix) {
    if (suffix == null) {
      return 1;
    }
    return switch (suffix) {
      case "k" -> 1e3;
      case "M" -> 1e6;
      case "G" -> 1e9;
      case "T" -> 1e12;
      case "Ki" -> 1L << 10;
      case "Mi" -> 1L << 20;
      case "Gi" -> 1L << 30;
      case "Ti" -> 1L << 40;
      default -> throw new IllegalArgumentException("unknown suffix " + suffix);
    };
  }
}
