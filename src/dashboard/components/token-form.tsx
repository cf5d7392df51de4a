import { useEffect, useRef, useState } from 'preact/hooks';
import { currentToken, setToken, tokenNeededEvent } from '../api.js';

/**
 * Asks for a bearer token when the API answers 401, keeps it for the browser session and reloads
 * the page so every view asks again with it. The token lives in sessionStorage, never in a cookie:
 * a cookie would ride along with other sites' requests too.
 */
export function TokenForm() {
  const ref = useRef<HTMLDialogElement>(null);
  const [needed, setNeeded] = useState(false);
  const [value, setValue] = useState('');
  useEffect(() => {
    const ask = () => setNeeded(true);
    window.addEventListener(tokenNeededEvent, ask);
    return () => window.removeEventListener(tokenNeededEvent, ask);
  }, []);
  useEffect(() => {
    if (needed && !ref.current?.open) ref.current?.showModal();
  }, [needed]);
  if (!needed) return null;
  const rejected = currentToken() !== undefined;
  return (
    <dialog ref={ref} aria-labelledby="token-title" onClose={() => setNeeded(false)}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          setToken(value.trim());
          location.reload();
        }}
      >
        <h2 id="token-title">Sign in with a token</h2>
        <p>{rejected ? 'The server did not accept that token; enter another.' : 'This server needs a bearer token; an admin makes one with pontoon token create.'}</p>
        <label>
          Token <input name="token" type="password" autoComplete="off" required value={value} onInput={(event) => setValue(event.currentTarget.value)} />
        </label>
        <div class="dialog-buttons">
          <button type="submit" class="primary">
            Sign in
          </button>
        </div>
      </form>
    </dialog>
  );
}
