// Kubernetes resource quantities, as `resources.memory` and `resources.cpu` take them.
const binarySuffixes: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const decimalSuffixes: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Pattern for a memory quantity such as `256Mi`, `1G` or `1048576`. */
export const memoryPattern = '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$';
/** Pattern for a CPU quantity such as `500m`, `1` or `1.5`. */
export const cpuPattern = '^[0-9]+(\\.[0-9]+)?m?$';

/** Parses a memory quantity to bytes; undefined when it is not one. */
export function parseMemory(text: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(text);
  if (!match) return undefined;
  const unit = match[2] ?? '';
  const factor = binarySuffixes[unit] ?? decimalSuffixes[unit];
  return Math.round(Number(match[1]) * factor);
}

/** Parses a CPU quantity to millicores; undefined when it is not one. */
export function parseCpu(text: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)(m)?$/.exec(text);
  if (!match) return undefined;
  return match[2] ? Number(match[1]) : Number(match[1]) * 1000;
}
