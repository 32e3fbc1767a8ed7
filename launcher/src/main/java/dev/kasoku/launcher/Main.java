package dev.kasoku.launcher;

/** Placeholder entry point, replaced by the launcher work of the foundation issue. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    throw new UnsupportedOperationException("launcher not yet assembled");
  }
}
