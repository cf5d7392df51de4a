import { terminalExecutionStatuses } from '../../domain/execution.js';

/**
 * `('succeeded', 'failed', 'timed_out', 'cancelled')`: the ended statuses as an SQL list, the
 * same text in both dialects, built from the domain's list so a new terminal status reaches
 * every query that asks for ended executions.
 */
export const endedStatusList = `(${terminalExecutionStatuses.map((status) => `'${status}'`).join(', ')})`;
