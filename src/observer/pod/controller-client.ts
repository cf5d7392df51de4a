/** How an in-pod observer reaches the controller for its attempt. */
export interface AttemptEndpoint {
  /** Base URL of the controller's observer endpoint. */
  controllerUrl: string;
  executionId: string;
  attempt: number;
  token: string;
}

/** The attempt's endpoint from the pod's environment; throws naming what is missing. */
export function attemptEndpointFromEnv(env: NodeJS.ProcessEnv): AttemptEndpoint {
  const missing = ['PONTOON_CONTROLLER_URL', 'PONTOON_ATTEMPT_TOKEN', 'PONTOON_EXECUTION_ID', 'PONTOON_ATTEMPT'].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`missing environment: ${missing.join(', ')}`);
  return {
    controllerUrl: env.PONTOON_CONTROLLER_URL!.replace(/\/+$/, ''),
    executionId: env.PONTOON_EXECUTION_ID!,
    attempt: Number(env.PONTOON_ATTEMPT),
    token: env.PONTOON_ATTEMPT_TOKEN!,
  };
}

/** Calls one action of the attempt on the controller; answers the HTTP status and body text. */
export async function callController(
  endpoint: AttemptEndpoint,
  action: 'input' | 'heartbeat' | 'report',
  body?: unknown,
  timeoutMs = 10_000,
): Promise<{ status: number; text: string }> {
  const url = `${endpoint.controllerUrl}/v1/attempts/${encodeURIComponent(endpoint.executionId)}/${endpoint.attempt}/${action}`;
  const response = await fetch(url, {
    method: action === 'input' ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${endpoint.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, text: await response.text() };
}
