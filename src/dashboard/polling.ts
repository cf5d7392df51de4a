// Views stay live by asking again: the API has no change feed besides the log stream, and a
// page of 50 rows over loopback costs milliseconds (bench/dashboard.ts).
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './api.js';

/** What a polled read holds: its last value, or the API's error. */
export interface Polled<T> {
  data: T | undefined;
  error: ReturnType<typeof describeError> | undefined;
  /** Reads again now. */
  refresh: () => void;
}

/**
 * Calls `load` now, whenever `key` changes, and every `everyMs` while `live` holds; a read still
 * in flight is never overlapped, and a stale answer (for an older key) is dropped.
 */
export function usePolling<T>(load: () => Promise<T>, key: string, everyMs: number, live = true): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Polled<T>['error']>(undefined);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => setData(undefined), [key]);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const value = await loadRef.current();
        if (!stopped) {
          setData(value);
          setError(undefined);
        }
      } catch (thrown) {
        if (!stopped) setError(describeError(thrown));
      }
      if (!stopped && live) timer = setTimeout(run, everyMs);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, everyMs, live, tick]);
  return { data, error, refresh: () => setTick((n) => n + 1) };
}
