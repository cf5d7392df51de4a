/** The typed Pontoon API client, used by the CLI and the dashboard. */
export { PontoonClient, defaultPontoonUrl, type PontoonClientOptions } from './client.js';
export { PontoonApiError, PontoonUnreachableError } from './errors.js';
export { LogFollower, type FollowLogsOptions } from './log-follower.js';
export type * from './types.js';
export { finalExecutionStatuses } from './types.js';
export type { Execution, Attempt, ExecutionStatus, AttemptStatus } from '../domain/execution.js';
export { invokeAndWait, type InvokeAndWaitOptions, type InvokeAndWaitResult } from './invoke-and-wait.js';
