import { useState } from 'preact/hooks';
import type { Execution, FunctionResource, FunctionStats, ScheduleView } from '../../client/index.js';
import { client } from '../api.js';
import { DeployDialog } from '../components/deploy-dialog.js';
import { ErrorNotice } from '../components/error-notice.js';
import { InvokeDialog } from '../components/invoke-dialog.js';
import { StatusBadge } from '../components/status-badge.js';
import { limitsText } from '../components/wait-reason.js';
import { formatAgo, formatMs, formatPercent } from '../format.js';
import { usePolling } from '../polling.js';
import { href } from '../router.js';

/** What the table itself needs: the functions and their schedules, both cheap to read. */
async function loadFunctions(): Promise<{ functions: FunctionResource[]; schedules: ScheduleView[] }> {
  const api = client();
  const [functions, schedules] = await Promise.all([api.listFunctions(), api.listSchedules()]);
  return { functions, schedules };
}

/**
 * The last hour's stats and each function's last executions, read apart from the table so the
 * view is usable before they arrive: with tens of thousands of executions in the hour, the stats
 * are the slowest read of the page (bench/dashboard.ts).
 */
async function loadActivity(names: string[]): Promise<{ stats: Map<string, FunctionStats>; recent: Map<string, Execution[]> }> {
  const api = client();
  const [stats, recent] = await Promise.all([
    api.functionStats(),
    Promise.all(names.map(async (name) => [name, (await api.listExecutions({ function: name, limit: 5 })).items] as const)),
  ]);
  return { stats: new Map(stats.items.map((item) => [item.function, item])), recent: new Map(recent) };
}

/** Warm replicas as the API reports them (status.replicas, set for a warm function), or spec.warm's bounds. */
function warmOf(fn: FunctionResource): string | undefined {
  const replicas = fn.status.replicas;
  if (replicas) return `${replicas.ready} ready / ${replicas.desired} desired`;
  const spec = (fn.spec as { warm?: { min?: number; max?: number } }).warm;
  if (spec) return `${spec.min ?? 0}–${spec.max ?? '?'} (on demand)`;
  return undefined;
}

function triggersOf(fn: FunctionResource): string[] {
  const triggers = (fn.spec as { triggers?: { cloudevent?: { type?: unknown } }[] }).triggers ?? [];
  return triggers.map((trigger) => `CloudEvent ${typeof trigger.cloudevent?.type === 'string' ? trigger.cloudevent.type : JSON.stringify(trigger.cloudevent?.type ?? {})}`);
}

function StatsCells({ stats, loading }: { stats: FunctionStats | undefined; loading: boolean }) {
  if (loading) {
    return (
      <td colSpan={4} class="muted" aria-busy="true">
        reading the last hour…
      </td>
    );
  }
  const ended = stats ? stats.succeeded + stats.failed + stats.timedOut + stats.cancelled : 0;
  return (
    <>
      <td class="num" title={stats ? `${stats.succeeded} succeeded, ${stats.failed} failed, ${stats.timedOut} timed out, ${stats.cancelled} cancelled` : 'none ended'}>
        {stats ? `${formatPercent(stats.succeeded, ended)} of ${ended}` : '—'}
      </td>
      <td class="num">{formatMs(stats?.p50Ms)}</td>
      <td class="num">{formatMs(stats?.p95Ms)}</td>
      <td class="num">{formatMs(stats?.p99Ms)}</td>
    </>
  );
}

/** Every function of the namespace: how it runs, when it fires, how its last hour went. */
export function FunctionsView() {
  const { data, error, refresh } = usePolling(loadFunctions, 'functions', 5000);
  const names = (data?.functions ?? []).map((fn) => fn.metadata.name);
  const activity = usePolling(() => loadActivity(names), names.join(','), 5000, data !== undefined);
  const [dialog, setDialog] = useState<{ kind: 'deploy' } | { kind: 'invoke'; name: string } | undefined>(undefined);
  return (
    <section aria-labelledby="functions-title">
      <header class="view-header">
        <h1 id="functions-title">Functions</h1>
        <button class="primary" onClick={() => setDialog({ kind: 'deploy' })}>
          Deploy a spec…
        </button>
      </header>
      <ErrorNotice error={error ?? activity.error} />
      {!data && !error && <p class="loading">Loading…</p>}
      {data && data.functions.length === 0 && <p>No functions yet: deploy a spec to begin.</p>}
      {data && data.functions.length > 0 && (
        <div class="table-wrap">
          <table class="functions">
            <caption>Success rate and durations (first start to end) are over the last hour.</caption>
            <thead>
              <tr>
                <th scope="col">Function</th>
                <th scope="col">Runtime</th>
                <th scope="col">Version</th>
                <th scope="col">Schedules and triggers</th>
                <th scope="col">Warm replicas</th>
                <th scope="col">Limits</th>
                <th scope="col">Queued / running</th>
                <th scope="col" class="num">Succeeded</th>
                <th scope="col" class="num">p50</th>
                <th scope="col" class="num">p95</th>
                <th scope="col" class="num">p99</th>
                <th scope="col">Last executions</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.functions.map((fn) => {
                const name = fn.metadata.name;
                const schedules = data.schedules.filter((schedule) => schedule.function === name);
                return (
                  <tr key={name} data-function={name}>
                    <th scope="row">
                      <a href={href('executions', { function: name })}>{name}</a>
                    </th>
                    <td>{fn.spec.runtime}</td>
                    <td class="num">{fn.metadata.version}</td>
                    <td>
                      <ul class="plain">
                        {schedules.map((schedule) => (
                          <li key={schedule.schedule}>
                            <code>{schedule.cron}</code> {schedule.suspend ? 'suspended' : `next ${formatAgo(schedule.nextFireTime)}`}
                          </li>
                        ))}
                        {triggersOf(fn).map((trigger) => (
                          <li key={trigger}>{trigger}</li>
                        ))}
                        {schedules.length === 0 && triggersOf(fn).length === 0 && <li class="muted">on demand</li>}
                      </ul>
                    </td>
                    <td>{warmOf(fn) ?? <span class="muted">none</span>}</td>
                    <td data-limits>{limitsText(fn)}</td>
                    <td class="num">
                      {fn.status.queued} / {fn.status.running}
                    </td>
                    <StatsCells stats={activity.data?.stats.get(name)} loading={!activity.data} />
                    <td>
                      <ul class="recent">
                        {(activity.data?.recent.get(name) ?? []).map((execution) => (
                          <li key={execution.id}>
                            <a href={href(`executions/${execution.id}`)} title={`${execution.id}, ${formatAgo(execution.createdAt)}`}>
                              <StatusBadge status={execution.status} />
                            </a>
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td>
                      <button onClick={() => setDialog({ kind: 'invoke', name })}>Invoke…</button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {dialog?.kind === 'deploy' && <DeployDialog onClose={() => setDialog(undefined)} onDeployed={refresh} />}
      {dialog?.kind === 'invoke' && <InvokeDialog name={dialog.name} onClose={() => setDialog(undefined)} />}
    </section>
  );
}
