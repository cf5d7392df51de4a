// No-op handler: the warm variant's function (the SDK's handler form).
export function handle() {
  return null;
}
