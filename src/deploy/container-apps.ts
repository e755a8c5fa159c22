/**
 * A Container App as Resource Manager serves it: the app and its revisions read, JSON merge patches
 * sent and their long-running operations followed, a lock held by another modification retried, and
 * revisions activated or deactivated. It decides nothing about a rollout: rollout.ts says what to
 * change and how to undo it; this says how Azure takes the change.
 */
import { armError, armFailureOf, describeArmFailure, type ArmPort, type ArmResponse } from '../azure/arm-port.js';
import { apiVersionOf } from '../azure/resource-types.js';
import { ConfigurationError } from '../core/errors.js';

export interface TrafficWeight {
  revisionName?: string;
  latestRevision?: boolean;
  weight: number;
  label?: string;
}

export interface AppState {
  name: string;
  mode: string;
  targetPort?: number;
  traffic: TrafficWeight[];
  template: Record<string, unknown>;
  latestRevisionName?: string;
  domain: string;
}

export interface RevisionState {
  name: string;
  active: boolean;
  provisioningState?: string;
  runningState?: string;
  healthState?: string;
  provisioningError?: string;
  createdTime?: string;
  trafficWeight?: number;
  image?: string;
  /** The commit it runs: the rollout's stamp, else the `c<7 hex>` start of a suffix from revisionSuffix (a prefix). */
  commit?: string;
}

/** How a PATCH ended: its operation done, or accepted by ARM and still running when a cancelled job had to stop waiting. */
export type PatchOutcome = 'done' | 'accepted';

export interface ContainerAppOptions {
  /** The job's cancellation: changes stop being sent, except a restore (`restoring`), within the grace. */
  signal?: AbortSignal;
  /** How often states are polled; by default as ARM's last Retry-After asked, else 2 s. */
  pollIntervalMs?: number;
  /** How long a cancelled job may still restore, from the cancel (default 7 s). */
  cancelGraceMs?: number;
}

const APP_TYPE = 'Microsoft.App/containerApps';
/** The variable each revision the rollout creates carries its commit in: what Container Apps shows of a revision's code. */
export const COMMIT_ENV = 'AZURE_HIPAA_COMMIT';
const LOCK_RETRIES = 6;
/** The runner kills a cancelled step about 10 s after SIGINT, and the report must be written before that. */
const CANCEL_GRACE_MS = 7000;

export class ContainerApp {
  /** The app's resource id. */
  readonly path: string;
  private readonly apiVersion = apiVersionOf(APP_TYPE);
  /** How often states and probes are polled: as asked, else as ARM's last Retry-After hint asked, else 2 s. */
  pollMs: number;
  /** When the job was cancelled: from then on, only putting traffic back counts, within the grace. */
  cancelledAt?: number;

  constructor(
    private readonly arm: ArmPort,
    readonly resourceGroup: string,
    readonly name: string,
    private readonly options: ContainerAppOptions = {},
  ) {
    this.path = `/subscriptions/${arm.subscriptionId}/resourceGroups/${resourceGroup}/providers/${APP_TYPE}/${name}`;
    this.pollMs = options.pollIntervalMs ?? 2000;
    const signal = options.signal;
    if (signal?.aborted) this.cancelledAt = Date.now();
    else signal?.addEventListener('abort', () => (this.cancelledAt = Date.now()), { once: true });
  }

  async read(): Promise<AppState> {
    const response = await this.send('GET', this.path);
    if (response.status === 404)
      throw new ConfigurationError(`The Container App ${this.name} does not exist in ${this.resourceGroup}: run provision first.`);
    const body = response.body as { properties?: Record<string, unknown> };
    const properties = body.properties ?? {};
    const configuration = (properties['configuration'] ?? {}) as {
      activeRevisionsMode?: string;
      ingress?: { traffic?: TrafficWeight[]; fqdn?: string; targetPort?: number };
    };
    const fqdn = configuration.ingress?.fqdn ?? '';
    return {
      name: this.name,
      mode: String(configuration.activeRevisionsMode ?? 'Single').toLowerCase(),
      ...(configuration.ingress?.targetPort !== undefined ? { targetPort: configuration.ingress.targetPort } : {}),
      traffic: configuration.ingress?.traffic ?? [{ latestRevision: true, weight: 100 }],
      template: (properties['template'] ?? {}) as Record<string, unknown>,
      ...(typeof properties['latestRevisionName'] === 'string' ? { latestRevisionName: properties['latestRevisionName'] } : {}),
      domain: fqdn.startsWith(`${this.name}.`) ? fqdn.slice(this.name.length + 1) : '',
    };
  }

  async revisions(): Promise<RevisionState[]> {
    const response = await this.send('GET', `${this.path}/revisions`);
    return ((response.body as { value?: unknown[] }).value ?? []).map(revisionOf);
  }

  /** One revision's states, for its health; undefined when Azure has no such revision. */
  async revision(name: string): Promise<RevisionState | undefined> {
    const response = await this.send('GET', `${this.path}/revisions/${name}`);
    return response.status === 404 ? undefined : revisionOf(response.body);
  }

  /** A JSON merge patch of the app, waited out. */
  async patch(properties: Record<string, unknown>): Promise<void> {
    await this.wait(await this.submit(properties));
  }

  /** Sets the app's traffic split, waited out. */
  async setTraffic(traffic: TrafficWeight[]): Promise<void> {
    await this.patch({ configuration: { ingress: { traffic } } });
  }

  /**
   * Sends a JSON merge patch of the app. A lock conflict (another deploy) is retried with backoff, then
   * reported. `restoring` (a rollback) goes on after a cancel: then any 409 is the change still in
   * flight holding the app, retried with a short backoff until the grace a cancelled job has ends.
   */
  async submit(properties: Record<string, unknown>, restoring = false): Promise<ArmResponse> {
    const body = { properties: Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined)) };
    for (let attempt = 1; ; attempt++) {
      if (!restoring) this.throwIfCancelled();
      const response = await this.send('PATCH', this.path, body);
      const failure = armFailureOf({ details: response.body });
      const cancelled = restoring && this.cancelledAt !== undefined;
      if (response.status === 409 && (failure?.code === 'ContainerAppLockConflict' || cancelled)) {
        const backoff = cancelled ? Math.min(1000, 50 * 2 ** attempt) : Math.min(30_000, this.pollMs * 2 ** attempt);
        if (cancelled ? Date.now() + backoff > this.graceEnd() : attempt > LOCK_RETRIES)
          throw new Error(
            cancelled
              ? `${this.name} stayed locked by the change in flight (${failure?.message ?? `HTTP ${response.status}`}) for as long as a cancelled job may run.`
              : `${this.name} stayed locked by another modification (${failure?.message}). Give deploys to this app one concurrency group in the workflow, so they wait for each other.`,
          );
        await this.sleep(backoff);
        continue;
      }
      if (response.status >= 400) throw this.armFailure(response, `Updating ${this.name}`);
      return response;
    }
  }

  /**
   * Follows a long-running operation to its end (Location or Azure-AsyncOperation). A cancel stops the
   * waiting at once, except for a rollback's own operation, waited out while the grace lasts: after
   * that it is only `accepted`.
   */
  async wait(response: ArmResponse, restoring = false): Promise<PatchOutcome> {
    const location = response.headers['location'];
    const asyncOperation = response.headers['azure-asyncoperation'];
    if (response.status !== 201 && response.status !== 202 && !asyncOperation) return 'done';
    // An operation is polled as often as ARM asks; states and probes, as asked or else at ARM's pace too.
    const asked = Number(response.headers['retry-after-ms'] ?? Number(response.headers['retry-after'] ?? 2) * 1000);
    const operationPollMs = Number.isFinite(asked) ? Math.min(30_000, Math.max(10, asked)) : 2000;
    if (this.options.pollIntervalMs === undefined) this.pollMs = Math.min(5000, Math.max(50, operationPollMs));
    for (;;) {
      if (!restoring) this.throwIfCancelled();
      else if (this.cancelledAt !== undefined && Date.now() >= this.graceEnd()) return 'accepted';
      await this.sleep(
        this.cancelledAt !== undefined ? Math.max(0, Math.min(operationPollMs, this.graceEnd() - Date.now())) : operationPollMs,
      );
      if (!restoring) this.throwIfCancelled();
      if (location) {
        const poll = await this.send('GET', location);
        if (poll.status === 202) continue;
        if (poll.status >= 400) throw this.armFailure(poll, `Updating ${this.name}`);
        return 'done';
      }
      if (!asyncOperation) return 'done';
      const poll = await this.send('GET', asyncOperation);
      const status = (poll.body as { status?: string } | undefined)?.status;
      if (status === 'Succeeded') return 'done';
      if (status === 'Failed' || status === 'Canceled') throw this.armFailure({ ...poll, body: poll.body }, `Updating ${this.name}`);
    }
  }

  /** When a cancelled job must have put traffic back: the runner kills the step soon after. */
  graceEnd(): number {
    return (this.cancelledAt ?? Date.now()) + (this.options.cancelGraceMs ?? CANCEL_GRACE_MS);
  }

  async activate(revision: string): Promise<void> {
    await this.revisionAction(revision, 'activate');
  }

  async deactivate(revision: string): Promise<void> {
    await this.revisionAction(revision, 'deactivate');
  }

  throwIfCancelled(): void {
    if (this.options.signal?.aborted) throw new Error('The workflow run was cancelled.');
  }

  /** Waits `ms`, or less when the job is cancelled. */
  sleep(ms: number): Promise<void> {
    const signal = this.options.signal;
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  private async revisionAction(revision: string, action: 'activate' | 'deactivate'): Promise<void> {
    const response = await this.send('POST', `${this.path}/revisions/${revision}/${action}`);
    if (response.status >= 400) throw this.armFailure(response, `${action === 'activate' ? 'Activating' : 'Deactivating'} ${revision}`);
  }

  private async send(method: 'GET' | 'PATCH' | 'POST', path: string, body?: unknown): Promise<ArmResponse> {
    try {
      return await this.arm.send(method, path, path.startsWith('https://') ? undefined : this.apiVersion, body);
    } catch (error) {
      throw armError(error, `${method} ${path}`);
    }
  }

  private armFailure(response: ArmResponse, doing: string): Error {
    const failure = armFailureOf({ details: response.body }) ?? {
      code: `HTTP${response.status}`,
      message: JSON.stringify(response.body ?? ''),
    };
    const pull = /UNAUTHORIZED|authentication required/i.test(failure.message)
      ? ` The app's registry identity cannot pull the image: grant it the 'AcrPull' role on the registry (provision does, when the registry is the environment's).`
      : /Unable to get value using Managed identity/i.test(failure.message)
        ? ` The app's identity cannot read a Key Vault secret it references: grant it 'Key Vault Secrets User' on the vault (provision does, for the environment's vault), and check that the secret exists (migrate-secrets copies it).`
        : '';
    return new Error(`${doing} failed. Azure Resource Manager says:\n${describeArmFailure(failure, '  ')}${pull}`);
  }
}

function revisionOf(value: unknown): RevisionState {
  const body = value as { name?: string; properties?: Record<string, unknown> };
  const properties = body.properties ?? {};
  const template = properties['template'] as { containers?: { image?: string; env?: { name?: string; value?: unknown }[] }[] } | undefined;
  const name = String(body.name ?? '');
  const stamp = template?.containers?.[0]?.env?.find((variable) => variable.name === COMMIT_ENV)?.value;
  // Revisions from before the stamp: revisionSuffix() starts a suffix with `c` and the commit's first 7 hex.
  const commit = typeof stamp === 'string' && stamp ? stamp : /--c([0-9a-f]{7})-[0-9a-z]+-\d+$/.exec(name)?.[1];
  return {
    name,
    active: properties['active'] === true,
    ...(typeof properties['provisioningState'] === 'string' ? { provisioningState: properties['provisioningState'] } : {}),
    ...(typeof properties['runningState'] === 'string' ? { runningState: properties['runningState'] } : {}),
    ...(typeof properties['healthState'] === 'string' ? { healthState: properties['healthState'] } : {}),
    ...(typeof properties['provisioningError'] === 'string' ? { provisioningError: properties['provisioningError'] } : {}),
    ...(typeof properties['createdTime'] === 'string' ? { createdTime: properties['createdTime'] } : {}),
    ...(typeof properties['trafficWeight'] === 'number' ? { trafficWeight: properties['trafficWeight'] } : {}),
    ...(template?.containers?.[0]?.image ? { image: template.containers[0].image } : {}),
    ...(commit ? { commit } : {}),
  };
}
