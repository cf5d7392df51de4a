// No-op handler, started through the SDK's handler runner.
export function handle() {
  console.log('first line');
  return null;
}
