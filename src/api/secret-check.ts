import { PontoonError, type FieldProblem } from '../domain/errors.js';
import type { FunctionSpec } from '../domain/function-spec.js';
import { validateFunctionDocument } from '../domain/validate-spec.js';

/**
 * Refuses a deploy (422, naming each `spec.secrets[i]`) whose secrets the operator's store does
 * not hold, when the controller can know it (files, environment): every attempt would fail.
 * Where pods resolve Secrets themselves (Kubernetes), `missing` is absent and attempts tell.
 */
export async function checkSecretsPresent(document: unknown, missing: ((spec: FunctionSpec) => Promise<FieldProblem[]>) | undefined): Promise<void> {
  const secrets = (document as { spec?: { secrets?: unknown } } | null)?.spec?.secrets;
  if (!missing || !Array.isArray(secrets) || secrets.length === 0) return;
  // Validated first so that a malformed secret is named as such, not looked up.
  const problems = await missing(validateFunctionDocument(document).spec);
  if (problems.length > 0) {
    throw new PontoonError('INVALID_SPEC', `invalid function spec: ${problems.map((problem) => `${problem.field} ${problem.message}`).join('; ')}`, { problems });
  }
}
