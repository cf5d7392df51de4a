/**
 * Where things are inside an attempt's pod. The function container and the observer containers
 * share one emptyDir volume mounted at `mountPath`; the function contract's files live there, so
 * a user's image needs nothing of Pontoon's inside it.
 */
export const podLayout = {
  volume: 'pontoon',
  mountPath: '/pontoon',
  files: { input: '/pontoon/input.json', output: '/pontoon/output.json', error: '/pontoon/error.txt' },
  containers: {
    /** Init container: writes the input file before anything else runs. */
    input: 'pontoon-input',
    /** Native sidecar: heartbeats while the function runs, then reports its output and error files. */
    observer: 'pontoon-observer',
    /** The user's program. */
    function: 'function',
  },
} as const;

/**
 * Environment the observer containers read, beside the contract variables (PONTOON_INPUT,
 * PONTOON_OUTPUT, PONTOON_ERROR, PONTOON_EXECUTION_ID, PONTOON_ATTEMPT, …).
 */
export const observerEnv = {
  /** Base URL of the controller's observer endpoint, as pods reach it. */
  controllerUrl: 'PONTOON_CONTROLLER_URL',
  /** Bearer token that lets this attempt's observer speak for it, and only for it. */
  token: 'PONTOON_ATTEMPT_TOKEN',
  /** The input as JSON, when small enough to travel in the pod spec; else it is fetched. */
  inputJson: 'PONTOON_INPUT_JSON',
  /** Largest output file the sidecar sends, in bytes. */
  resultLimit: 'PONTOON_RESULT_LIMIT',
  /** Milliseconds between heartbeats. */
  heartbeatMs: 'PONTOON_HEARTBEAT_MS',
} as const;
