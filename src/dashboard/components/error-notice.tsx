import type { describeError } from '../api.js';

/** The API's own error: its code, message and every problem it named. */
export function ErrorNotice({ error }: { error: ReturnType<typeof describeError> | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong>{error.code}</strong> {error.message}
      {error.problems.length > 0 && (
        <ul>
          {error.problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
