import { useEffect, useState } from 'preact/hooks';
import { client } from '../api.js';
import { ConfirmDialog } from './confirm-dialog.js';

const example = `apiVersion: pontoon.dev/v1
kind: Function
metadata:
  name: hello
spec:
  runtime: command
  command: [sh, -c, 'echo "hello from $PONTOON_EXECUTION_ID"']
  timeout: 30s
`;

/**
 * metadata.name of a YAML document, when it parses and has one; the server judges the rest. The
 * YAML parser is half the dashboard's code, so it loads when a deploy dialog first opens.
 */
async function nameIn(yaml: string): Promise<string | undefined> {
  const { parse } = await import('yaml');
  try {
    const name = (parse(yaml) as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** Deploys a Function spec written in YAML; the server parses and validates it and names what is wrong. */
export function DeployDialog({ onClose, onDeployed }: { onClose: () => void; onDeployed: () => void }) {
  const [yaml, setYaml] = useState(example);
  const [typedName, setTypedName] = useState<string | undefined>(undefined);
  const [parsedName, setParsedName] = useState<string | undefined>(undefined);
  useEffect(() => {
    let stale = false;
    void nameIn(yaml).then((found) => stale || setParsedName(found));
    return () => {
      stale = true;
    };
  }, [yaml]);
  const name = typedName ?? parsedName ?? '';
  const deploy = async () => {
    if (!name) throw new Error('give the function a name (metadata.name, or the field above)');
    await client().deployFunctionYaml(name, yaml);
    onDeployed();
  };
  return (
    <ConfirmDialog title="Deploy a function spec" confirmLabel={name ? `Deploy ${name}` : 'Deploy'} onConfirm={deploy} onClose={onClose}>
      <p>Each deploy stores a new version; executions already queued keep the version they were invoked with.</p>
      <label>
        Name
        <input name="name" value={name} onInput={(event) => setTypedName(event.currentTarget.value)} pattern="[a-z0-9]([-a-z0-9]*[a-z0-9])?" />
      </label>
      <label>
        Spec (YAML)
        <textarea name="spec" rows={14} spellcheck={false} value={yaml} onInput={(event) => setYaml(event.currentTarget.value)} />
      </label>
    </ConfirmDialog>
  );
}
