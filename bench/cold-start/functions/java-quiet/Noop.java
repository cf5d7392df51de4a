/** No-op program that prints nothing: the whole attempt is timed against a bare JVM start. */
public final class Noop {
  public static void main(String[] args) {}
}
