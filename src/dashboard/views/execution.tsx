import { useState } from 'preact/hooks';
import { finalExecutionStatuses, type Execution } from '../../client/index.js';
import { client } from '../api.js';
import { AttemptTimeline } from '../components/attempt-timeline.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorNotice } from '../components/error-notice.js';
import { InvokeDialog } from '../components/invoke-dialog.js';
import { LogView } from '../components/log-view.js';
import { StatusBadge } from '../components/status-badge.js';
import { waitText } from '../components/wait-reason.js';
import { executionDuration, formatJson, formatMs, formatTime } from '../format.js';
import { usePolling } from '../polling.js';
import { href } from '../router.js';

const isFinal = (execution: Execution) => finalExecutionStatuses.includes(execution.status);

/** One execution: input, result or error, the attempts as a timeline, each attempt's logs (live while it runs). */
export function ExecutionView({ id }: { id: string }) {
  const [live, setLive] = useState(true);
  const { data: execution, error, refresh } = usePolling(
    async () => {
      const found = await client().getExecution(id);
      if (isFinal(found)) setLive(false);
      return found;
    },
    id,
    1000,
    live,
  );
  const [chosen, setChosen] = useState<number | undefined>(undefined);
  const [dialog, setDialog] = useState<'cancel' | 'rerun' | undefined>(undefined);
  if (!execution) return <section>{error ? <ErrorNotice error={error} /> : <p class="loading">Loading…</p>}</section>;
  const attempt = chosen ?? execution.attempts.at(-1)?.number;
  const attemptRunning = execution.attempts.find((a) => a.number === attempt)?.status === 'running';
  return (
    <section aria-labelledby="execution-title">
      <p class="breadcrumbs">
        <a href={href('executions')}>Executions</a> › <a href={href('executions', { function: execution.function })}>{execution.function}</a>
      </p>
      <header class="view-header">
        <h1 id="execution-title">
          <code>{execution.id}</code> <StatusBadge status={execution.status} />
        </h1>
        <div class="actions">
          <button onClick={() => setDialog('rerun')}>Re-run…</button>
          <button class="danger" onClick={() => setDialog('cancel')} disabled={isFinal(execution)}>
            Cancel…
          </button>
        </div>
      </header>
      <ErrorNotice error={error} />
      <dl class="facts">
        <dt>Function</dt>
        <dd>
          {execution.function} v{execution.version}
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(execution.createdAt)}</dd>
        <dt>Duration</dt>
        <dd>{formatMs(executionDuration(execution))}</dd>
        <dt>Priority</dt>
        <dd>{execution.priority}</dd>
        {execution.notBefore && (
          <>
            <dt>{execution.attempts.length > 0 ? 'Next attempt' : 'Not before'}</dt>
            <dd>{formatTime(execution.notBefore)}</dd>
          </>
        )}
        {execution.waiting && (
          <>
            <dt>Waiting</dt>
            <dd data-waiting={execution.waiting.reason}>{waitText(execution.waiting)}</dd>
          </>
        )}
        {execution.concurrencyKey !== null && execution.concurrencyKey !== undefined && (
          <>
            <dt>Concurrency key</dt>
            <dd>
              <code>{execution.concurrencyKey}</code>
            </dd>
          </>
        )}
        {execution.idempotencyKey && (
          <>
            <dt>Idempotency key</dt>
            <dd>
              <code>{execution.idempotencyKey}</code>
            </dd>
          </>
        )}
      </dl>
      <div class="panes">
        <section aria-labelledby="input-title">
          <h2 id="input-title">Input</h2>
          <pre tabIndex={0} class="json">{formatJson(execution.input)}</pre>
        </section>
        <section aria-labelledby="outcome-title">
          <h2 id="outcome-title">{execution.error ? 'Error' : 'Result'}</h2>
          {execution.error ? (
            <pre tabIndex={0} class="json error-text">{execution.error}</pre>
          ) : (
            <pre tabIndex={0} class="json">{isFinal(execution) ? formatJson(execution.result) : 'not yet'}</pre>
          )}
        </section>
      </div>
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <AttemptTimeline execution={execution} />
      </section>
      <section aria-labelledby="logs-title">
        <h2 id="logs-title">Logs</h2>
        {attempt === undefined ? (
          <p class="muted">No attempt has started yet.</p>
        ) : (
          <>
            <div role="tablist" aria-label="Attempts" class="tabs">
              {execution.attempts.map((a) => (
                <button key={a.number} role="tab" aria-selected={a.number === attempt} onClick={() => setChosen(a.number)}>
                  Attempt {a.number} <StatusBadge status={a.status} />
                </button>
              ))}
            </div>
            <LogView key={`${attempt}-${attemptRunning}`} executionId={execution.id} attempt={attempt} live={attemptRunning} />
          </>
        )}
      </section>
      {dialog === 'cancel' && (
        <ConfirmDialog
          title="Cancel this execution?"
          confirmLabel="Cancel execution"
          danger
          onConfirm={async () => {
            await client().cancelExecution(execution.id);
            setLive(true);
            refresh();
          }}
          onClose={() => setDialog(undefined)}
        >
          <p>
            <code>{execution.id}</code> ends <em>cancelled</em>; a running attempt is stopped.
          </p>
        </ConfirmDialog>
      )}
      {dialog === 'rerun' && (
        <InvokeDialog name={execution.function} input={execution.input} title={`Run ${execution.function} again`} onClose={() => setDialog(undefined)} />
      )}
    </section>
  );
}
