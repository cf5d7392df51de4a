/** No-op program: its first statement is the line the benchmark times. */
public final class Noop {
  public static void main(String[] args) {
    System.out.println("first line");
  }
}
