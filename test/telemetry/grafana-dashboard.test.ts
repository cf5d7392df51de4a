import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { startTestPontoon } from '../helpers/pontoon.js';

// dist/test/telemetry → the repository root.
const dashboardFile = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/grafana/pontoon.json');

/** The metric names a PromQL expression reads: identifiers starting pontoon_, not inside braces. */
function metricNames(expression: string): string[] {
  const withoutMatchers = expression.replace(/\{[^}]*\}/g, '');
  return [...withoutMatchers.matchAll(/\bpontoon_[a-z0-9_]+/g)].map((match) => match[0]);
}

describe('the Grafana dashboard', () => {
  it('queries only metrics that /metrics exposes', async () => {
    const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8'));
    const expressions: string[] = [
      ...dashboard.panels.flatMap((panel: { targets: { expr: string }[] }) => panel.targets.map((target) => target.expr)),
      ...dashboard.templating.list.filter((variable: { type: string }) => variable.type === 'query').map((variable: { definition: string }) => variable.definition),
    ];
    assert.ok(expressions.length >= 15);
    const queried = new Set(expressions.flatMap(metricNames));
    assert.ok(queried.size >= 15, `only ${queried.size} metrics queried`);

    const pontoon = await startTestPontoon();
    try {
      const text = (await pontoon.request('GET', '/metrics')).body as string;
      const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1], match[2]]));
      const exposed = (name: string) => {
        if (types.has(name)) return true;
        const histogram = /^(.*)_(bucket|sum|count)$/.exec(name);
        return histogram !== null && types.get(histogram[1]) === 'histogram';
      };
      const missing = [...queried].filter((name) => !exposed(name));
      assert.deepEqual(missing, []);
    } finally {
      await pontoon.close();
    }
  });
});
