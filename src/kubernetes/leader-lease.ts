import { asError } from '../domain/errors.js';
import { LeadingFlag } from '../domain/leading-flag.js';
import type { Leadership } from '../engine/leader.js';
import { isKubeStatus, type KubeApi, type KubeObject } from './kube-api.js';

/** How a controller campaigns for the Lease. */
export interface LeaseLeadershipOptions {
  api: KubeApi;
  namespace: string;
  /** Name of the Lease all replicas campaign for. */
  name: string;
  /** This controller's identity (its pod name, unique among the replicas). */
  identity: string;
  /** How long a leader's hold lasts without renewal. Default 15s. */
  leaseDurationMs?: number;
  /** How often each replica renews or tries to acquire. Default 2s. */
  retryMs?: number;
  /** Called when the API server cannot be reached or refuses. */
  onError?(error: Error): void;
}

interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/**
 * Leader election with a `coordination.k8s.io/v1` Lease, as Kubernetes' own controllers do: the
 * leader renews the Lease every `retryMs`; the others watch it and take it over once it has not
 * changed for a whole lease duration, measured on their own clock (never comparing clocks across
 * machines). Writes carry the resourceVersion read, so two replicas cannot both win a hand-over.
 * A leader that cannot renew within the lease duration steps down before anyone can take over.
 */
export class LeaseLeadership implements Leadership {
  private readonly durationMs: number;
  private readonly retryMs: number;
  /** A listener that throws is reported through onError, and the others still hear. */
  private readonly leading: LeadingFlag;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private pass: Promise<void> | undefined;
  /** The Lease as last read, and when (local clock) its content last changed. */
  private observed: { key: string; at: number } | undefined;
  /** When this controller last renewed successfully (local clock). */
  private renewedAt = 0;

  constructor(private readonly options: LeaseLeadershipOptions) {
    this.leading = new LeadingFlag((error) => options.onError?.(error));
    this.durationMs = options.leaseDurationMs ?? 15_000;
    this.retryMs = options.retryMs ?? 2000;
  }

  isLeader(): boolean {
    return this.leading.isLeader();
  }

  onChange(listener: (leading: boolean) => void): () => void {
    return this.leading.onChange(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /** Steps down: the Lease is released at once so another replica need not wait out its duration. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.pass;
    if (!this.leading.isLeader()) return;
    try {
      const lease = await this.options.api.get<Lease>(this.path());
      if (lease.spec?.holderIdentity === this.options.identity) {
        await this.options.api.replace(this.path(), { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) } });
      }
    } catch (thrown) {
      this.options.onError?.(asError(thrown));
    }
    this.leading.set(false);
  }

  private path(name = this.options.name): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases${name ? `/${name}` : ''}`;
  }

  private tick(): void {
    if (!this.running) return;
    this.pass = this.campaign()
      .catch((thrown) => this.options.onError?.(asError(thrown)))
      .finally(() => {
        this.pass = undefined;
        if (this.leading.isLeader() && Date.now() - this.renewedAt > this.durationMs) this.leading.set(false);
        if (this.running) this.timer = setTimeout(() => this.tick(), this.retryMs);
      });
  }

  private async campaign(): Promise<void> {
    const { api, identity } = this.options;
    const now = new Date();
    let lease: Lease;
    try {
      lease = await api.get<Lease>(this.path());
    } catch (thrown) {
      if (!isKubeStatus(thrown, 404)) throw thrown;
      const created: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.options.name, namespace: this.options.namespace },
        spec: { holderIdentity: identity, leaseDurationSeconds: Math.ceil(this.durationMs / 1000), acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
      };
      try {
        await api.create(this.path(''), created);
        this.renewed();
      } catch (conflict) {
        if (!isKubeStatus(conflict, 409)) throw conflict;
      }
      return;
    }
    const spec = lease.spec ?? {};
    const key = `${spec.holderIdentity}|${spec.renewTime}|${spec.leaseDurationSeconds}`;
    if (!this.observed || this.observed.key !== key) this.observed = { key, at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    if (holder === identity) {
      await this.write(lease, { ...spec, renewTime: microTime(now), leaseDurationSeconds: Math.ceil(this.durationMs / 1000) });
      return;
    }
    if (this.leading.isLeader()) this.leading.set(false); // someone else holds it now
    const heldForMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    const expired = holder === '' || Date.now() - this.observed.at >= heldForMs;
    if (!expired) return;
    await this.write(lease, {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.durationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
    });
  }

  /** Replaces the Lease if nobody changed it since it was read; a conflict means another replica won. */
  private async write(lease: Lease, spec: NonNullable<Lease['spec']>): Promise<void> {
    try {
      await this.options.api.replace(this.path(), { ...lease, spec });
      this.renewed();
    } catch (thrown) {
      if (!isKubeStatus(thrown, 409)) throw thrown;
    }
  }

  private renewed(): void {
    this.renewedAt = Date.now();
    this.leading.set(true);
  }
}

/** A Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
