// The conformance function for TypeScript: interprets the test vectors' actions through the SDK.
// Deployed as `runtime: node`, `handler: conformance.handle`; compiled by the runtime's tsc (.mts, so the repo's own build leaves it alone).
import { writeFileSync } from 'node:fs';
import { fail, type Context } from '@pontoon/sdk';

type Action = { action?: string; value?: unknown; message?: string; ms?: number; code?: number; lines?: string[]; warn?: string; plain?: string; bytes?: number };

/** Runs one vector's action. */
export async function handle(input: Action | null, ctx: Context): Promise<unknown> {
  if (input === null || typeof input !== 'object') throw new Error('input must be an object with an action');
  switch (input.action) {
    case 'echo':
      return input.value ?? null;
    case 'fail':
      return fail(input.message ?? '');
    case 'throw':
      throw new Error(input.message);
    case 'log':
      for (const line of input.lines ?? []) ctx.logger.info(line);
      if (input.warn) ctx.logger.warn(input.warn);
      if (input.plain) console.log(input.plain);
      return null;
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, input.ms ?? 0));
      return 'slept';
    case 'exit':
      process.exit(input.code ?? 0);
    case 'raw-output':
      writeFileSync(process.env.PONTOON_OUTPUT!, input.value as string);
      process.exit(0);
    case 'big-output':
      return 'x'.repeat(input.bytes ?? 0);
    case 'context':
      return {
        executionId: ctx.executionId,
        attempt: ctx.attempt,
        function: ctx.function,
        namespace: ctx.namespace,
        version: String(ctx.version),
        deadlineInFuture: ctx.deadline !== undefined && ctx.remainingMs() > 0,
      };
    default:
      throw new Error(`unknown action ${input.action}`);
  }
}
