// Bounds on the shape of a JSON value a caller sends: how deep it nests, and how large it is once
// written as JSON. Every layer that handles an input recurses over it (JSON.stringify overflows
// the stack near 5,000 levels; Jackson refuses past 1,000 and Python's json past its recursion
// limit of about 1,000), so the API refuses deep values at the door instead of failing later.

/**
 * Deepest nesting of arrays and objects accepted in a request body, a function's input or a
 * CloudEvent: far beyond any real document, and far below where a consumer of the value (the
 * server, an SDK in any language) would overflow.
 */
export const maxJsonDepth = 100;

/** What a value broke: its nesting depth, or its size in bytes as JSON. */
export type JsonLimitBreach = { limit: 'depth'; max: number } | { limit: 'size'; max: number };

/** The limits to check: `maxBytes` is optional because a parsed JSON text is never larger than itself. */
export interface JsonLimits {
  maxDepth: number;
  maxBytes?: number;
}

function scalarSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(JSON.stringify(value));
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value).length;
  return 4; // null, and what JSON writes as null
}

/** True when a value nests arrays and objects deeper than `maxDepth`; scalars are never pushed, so this stays cheap. */
function deeperThan(value: unknown, maxDepth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const next = values.pop()!;
    const depth = depths.pop()!;
    if (depth > maxDepth) return true;
    for (const item of Array.isArray(next) ? next : Object.values(next)) {
      if (item !== null && typeof item === 'object') {
        values.push(item);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/** True when JSON.stringify would write more than `maxBytes` bytes; call only on a value within the depth limit. */
function largerThan(value: unknown, maxBytes: number): boolean {
  let bytes = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (next === null || typeof next !== 'object') {
      bytes += scalarSize(next);
    } else if (Array.isArray(next)) {
      // Brackets and commas; JSON writes a hole or undefined as null, which the scalar case counts.
      bytes += 2 + Math.max(next.length - 1, 0);
      for (const item of next) pending.push(item);
    } else {
      let members = 0;
      for (const key in next) {
        const item = (next as Record<string, unknown>)[key];
        // JSON leaves out members whose value is undefined or a function.
        if (item === undefined || typeof item === 'function') continue;
        members += 1;
        bytes += Buffer.byteLength(JSON.stringify(key)) + 1;
        pending.push(item);
      }
      bytes += 2 + Math.max(members - 1, 0);
    }
    if (bytes > maxBytes) return true;
  }
  return false;
}

/**
 * Checks a parsed value against the limits without recursing (so a value of any depth is safe to
 * check): depth first, then size. The size counts a value shared by several places (a YAML alias)
 * once per place, as JSON.stringify would write it; a cycle breaks the depth limit.
 */
export function checkJsonLimits(value: unknown, limits: JsonLimits): JsonLimitBreach | undefined {
  if (deeperThan(value, limits.maxDepth)) return { limit: 'depth', max: limits.maxDepth };
  if (limits.maxBytes !== undefined && largerThan(value, limits.maxBytes)) return { limit: 'size', max: limits.maxBytes };
  return undefined;
}
