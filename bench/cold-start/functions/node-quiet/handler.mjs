// No-op handler that prints nothing, started through the SDK's handler runner.
export function handle() {
  return null;
}
