import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api.js';
import { ErrorNotice } from './error-notice.js';

/** Props of an action's dialog. */
export interface ConfirmDialogProps {
  title: string;
  /** The confirming button's label, such as "Cancel execution". */
  confirmLabel: string;
  /** Runs the action; a throw keeps the dialog open with the API's error shown. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
  /** Marks an action that cannot be undone. */
  danger?: boolean;
  children?: ComponentChildren;
}

/**
 * A modal dialog (the native <dialog>, so focus stays inside and Escape closes it) that asks
 * before an action runs and shows the API's error when it fails.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ReturnType<typeof describeError> | undefined>(undefined);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const confirm = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      ref.current?.close();
    } catch (thrown) {
      setError(describeError(thrown));
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} onClose={props.onClose} aria-labelledby="dialog-title">
      <form method="dialog" onSubmit={confirm}>
        <h2 id="dialog-title">{props.title}</h2>
        {props.children}
        <ErrorNotice error={error} />
        <div class="dialog-buttons">
          <button type="button" onClick={() => ref.current?.close()}>
            Back
          </button>
          <button type="submit" class={props.danger ? 'danger' : 'primary'} disabled={busy}>
            {busy ? 'Working…' : props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
