import { asError } from './errors.js';

/**
 * Whether this controller leads, and who hears when that changes: the bookkeeping every way of
 * electing a leader shares (a PostgreSQL advisory lock, a Kubernetes Lease). Listeners hear only
 * of a change. A listener that throws is handed to `onListenerError` when one is given, so the
 * others still hear; without one, the error reaches whoever changed the flag.
 */
export class LeadingFlag {
  private leading = false;
  private readonly listeners = new Set<(leading: boolean) => void>();

  constructor(private readonly onListenerError?: (error: Error) => void) {}

  isLeader(): boolean {
    return this.leading;
  }

  /** Calls `listener` whenever the flag changes; returns an unsubscribe. */
  onChange(listener: (leading: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    for (const listener of this.listeners) {
      try {
        listener(leading);
      } catch (thrown) {
        if (!this.onListenerError) throw thrown;
        this.onListenerError(asError(thrown));
      }
    }
  }
}
