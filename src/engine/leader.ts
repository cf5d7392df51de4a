/**
 * Who runs the controller-wide duties (lease reaping, cron ticks, later the Scalar) when several
 * controllers share one store: exactly one of them at a time, the leader. Dispatching is not a
 * leader duty; every controller claims work.
 */
export interface Leadership {
  /** True while this controller is the leader. */
  isLeader(): boolean;
  /** Calls `listener` whenever leadership is gained or lost; returns an unsubscribe. */
  onChange(listener: (leading: boolean) => void): () => void;
  /** Starts campaigning. */
  start(): void;
  /** Steps down and releases leadership for the others. */
  stop(): Promise<void>;
}

/** The leadership of a controller that is alone on its store (the embedded SQLite store): always the leader. */
export function soleLeader(): Leadership {
  return {
    isLeader: () => true,
    onChange: () => () => {},
    start: () => {},
    stop: async () => {},
  };
}
