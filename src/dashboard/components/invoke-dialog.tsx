import { useState } from 'preact/hooks';
import { client } from '../api.js';
import { href, navigate } from '../router.js';
import { ConfirmDialog } from './confirm-dialog.js';

/** Props of the invoke dialog; `input` prefills it (a re-run passes the execution's input). */
export interface InvokeDialogProps {
  name: string;
  input?: unknown;
  title?: string;
  onClose: () => void;
}

/** Invokes a function with a JSON input, then opens the new execution. */
export function InvokeDialog(props: InvokeDialogProps) {
  const [text, setText] = useState(props.input === undefined ? 'null' : JSON.stringify(props.input, null, 2));
  const invoke = async () => {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (thrown) {
      throw new Error(`the input is not JSON: ${(thrown as Error).message}`);
    }
    const { execution } = await client().invoke(props.name, input);
    navigate(href(`executions/${execution.id}`));
  };
  return (
    <ConfirmDialog title={props.title ?? `Invoke ${props.name}`} confirmLabel={`Invoke ${props.name}`} onConfirm={invoke} onClose={props.onClose}>
      <label>
        Input (JSON)
        <textarea name="input" rows={8} spellcheck={false} value={text} onInput={(event) => setText(event.currentTarget.value)} />
      </label>
    </ConfirmDialog>
  );
}
