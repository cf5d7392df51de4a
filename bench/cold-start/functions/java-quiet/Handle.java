import dev.pontoon.sdk.Context;
import dev.pontoon.sdk.Handler;

/** No-op handler that prints nothing, started through the SDK's handler runner. */
public final class Handle implements Handler<Object, Object> {
  @Override
  public Object handle(Object input, Context ctx) {
    return null;
  }
}
