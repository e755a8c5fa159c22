/**
 * src/secrets copies Key Vault secrets vault to vault, in memory only: options, planning, the
 * per-vault rate limiter, this engine and its report. Vaults are reached through VaultPort.
 */
import { ConfigurationError } from '../core/errors.js';
import { openKeyVault, VaultRequestError } from '../azure/keyvault.js';
import type { ArmPort } from '../azure/arm-port.js';
import { subscriptionOf } from '../azure/subscription.js';
import { armWriteReason, listArmSecrets, locateVault, writeThroughArm, type ArmSecret, type ArmVault } from './through-arm.js';
import type { PipelineRetryOptions } from '@azure/core-rest-pipeline';
import type { RequestObserver, SecretSummary, SecretVersion, VaultPort, VaultReference } from '../azure/keyvault.js';
import type { Logger } from '../core/logger.js';
import { canUpdateInPlace, differingMetadata } from './compare.js';
import type { MigrationOptions } from './options.js';
import { planMigration } from './plan.js';
import type { CopyAction, PlannedAction } from './plan.js';
import { requestKind, systemClock, VaultRateLimiter } from './rate-limit.js';
import type { Clock } from './rate-limit.js';

export type Outcome = 'copied' | 'unchanged' | 'skipped' | 'failed';

/** How a secret reached (or would reach) the target vault. */
export type WritePath = 'data plane' | 'Resource Manager';

/** One row of the summary: a name, what happened and why. Never a value. */
export interface SecretResult {
  name: string;
  outcome: Outcome;
  /** What was (or on a dry run would be) done: `create`, `new version`, `update properties`, `recover`, `none`. */
  action: string;
  reason: string;
  /** The path a write took (or would take); absent when nothing was to be written. */
  path?: WritePath;
}

export interface MigrationReport {
  source: string;
  target: string;
  /** How the target was reached: its data plane, or Resource Manager when the vault refuses this runner's network. */
  targetPath: WritePath;
  dryRun: boolean;
  results: SecretResult[];
  counts: Record<Outcome, number>;
  /**
   * Development secrets in the source that the production environment does not use (src/secrets/unused.ts)
   * and that the filters selected: skipped, or copied when `includeUnused` asked for them.
   */
  unusedInProduction?: string[];
  /** Whether include-unused asked to copy those secrets anyway. */
  includeUnused?: boolean;
  /** 429 responses seen, from either vault; the rate budgets aim to keep this at 0. */
  throttledResponses: number;
  elapsedMs: number;
}

export interface MigrationDependencies {
  logger: Logger;
  /** How often a line says the run is alive when nothing else was logged; default 10 s. */
  heartbeatMs?: number;
  /** How long one request may go unanswered before it is cut and retried; default 30 s. */
  requestTimeoutMs?: number;
  /** Where src/azure/credential.ts finds the identity and, under the sandbox, the routing. */
  env: NodeJS.ProcessEnv;
  /** Overrides the SDK's retry tuning (tests shorten the delays). */
  retry?: PipelineRetryOptions;
  clock?: Clock;
  /** Opens a vault; by default the Key Vault SDK. The observer paces requests under the vault's limits. */
  openVault?: (vault: VaultReference, observer: RequestObserver) => VaultPort;
  /** Resource Manager for the target's subscription, when its vault is written through it; by default the SDK. */
  arm?: (subscriptionId: string) => ArmPort;
}

/** Attempts per secret at this level; see `isRetryableHere` for what they are for. */
const ATTEMPTS_PER_SECRET = 3;
const PROGRESS_INTERVAL_MS = 5_000;
const HEARTBEAT_MS = 10_000;
/** A Retry-After at least this long gets a log line: the run is waiting, not stuck. */
const ANNOUNCED_WAIT_MS = 5_000;

/** A vault that will not serve the run now: every secret would fail alike, so the run stops and says what to do. */
export class VaultUnavailableError extends Error {
  override readonly name = 'VaultUnavailableError';
}

export const disabledSourceReason = 'disabled: value cannot be read without enabling it in the source vault';

type Side = 'source' | 'target';

/**
 * A user's mistake, missing access or a vault that will not serve now, which no retry will fix:
 * the run stops with an error that says what to change. Undefined for per-secret failures.
 */
function configurationProblem(error: VaultRequestError, side: Side): Error | undefined {
  const vault = error.vault.name;
  if (error.code === 'RetryAfterTooLong') {
    return new VaultUnavailableError(
      `Key Vault '${vault}' asked to wait ${Math.round((error.retryAfterMs ?? 0) / 1000)} s before more requests (Retry-After on HTTP ${error.status}), longer than the allowed wait (max-wait-seconds). Nothing is lost: run again later and only what is still missing is copied, or allow a longer wait.`,
    );
  }
  if (error.code === 'ENOTFOUND') {
    return new ConfigurationError(
      `Key Vault '${vault}' was not found: check the name and that it exists in the subscription you are logged in to.`,
    );
  }
  if (error.status === 401) {
    return new ConfigurationError(
      `Key Vault '${vault}' rejected the sign-in (HTTP 401): check that the identity is from the vault's tenant (azure/login or az login).`,
    );
  }
  if (refusesNetwork(error)) {
    return side === 'source'
      ? new ConfigurationError(
          `Key Vault '${vault}' (the source) refuses this runner's network (HTTP 403 ${error.innerCode}). Secret values are read only through a vault's data plane: Resource Manager never returns them, so there is no way around the source's network. Run this job on a runner inside the source vault's network (a GitHub-hosted runner with Azure private networking, see \`azure-hipaa github-runners\`, or a self-hosted runner), or allow the runner in the source vault's firewall for the migration.`,
        )
      : new ConfigurationError(
          `Key Vault '${vault}' (the target) refuses this runner's network (HTTP 403 ${error.innerCode}) and target-path is 'data-plane'. Use target-path 'auto' or 'resource-manager' to write through Resource Manager, or run on a runner inside the vault's network.`,
        );
  }
  if (error.status === 403 && error.innerCode !== 'SecretDisabled') {
    return side === 'source'
      ? new ConfigurationError(
          `The signed-in identity may not read secrets in Key Vault '${vault}' (HTTP 403): grant it the 'Key Vault Secrets User' role on the source vault '${vault}'.`,
        )
      : new ConfigurationError(
          `The signed-in identity may not manage secrets in Key Vault '${vault}' (HTTP 403): grant it the 'Key Vault Secrets Officer' role on the target vault '${vault}'.`,
        );
  }
  return undefined;
}

/** The vault's network rule refused this runner: its firewall, or public network access disabled (private link only). */
function refusesNetwork(error: VaultRequestError): boolean {
  return error.status === 403 && (error.innerCode === 'ForbiddenByFirewall' || error.innerCode === 'ForbiddenByConnection');
}

/**
 * What this level retries: only what the SDK's retry policy leaves - a 429 or a 5xx it could not
 * get past (no Retry-After, or its retries ran out; Key Vault answers 503 under load) and a
 * failure without any response it did not classify (such as a connection cut while a body was
 * being read). Retrying here re-runs the whole compare-first copy of one secret, so a write that
 * landed before the failure is not written twice.
 */
function isRetryableHere(error: VaultRequestError): boolean {
  if (error.status === undefined) return error.code !== 'ENOTFOUND';
  return error.status === 429 || error.status >= 500;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * A line every `intervalMs` in which nothing else was logged, saying what the run is doing and
 * what it waits on: a stalled or throttling vault must not look like a hung job.
 */
class Heartbeat {
  private lastLine: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    logger: Logger,
    private readonly clock: Clock,
    intervalMs: number,
    describe: () => string,
  ) {
    this.lastLine = clock.now();
    this.timer = setInterval(() => {
      if (this.clock.now() - this.lastLine < intervalMs) return;
      this.touch();
      logger.info(`still working: ${describe()}`);
    }, intervalMs);
    this.timer.unref();
  }

  /** Something was just logged. */
  touch(): void {
    this.lastLine = this.clock.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Progress lines: every tenth of the work, or 5 s after the last. */
class Progress {
  private done = 0;
  private lastLine: number;
  private readonly counts: Record<Outcome, number> = { copied: 0, unchanged: 0, skipped: 0, failed: 0 };
  private readonly step: number;

  constructor(
    private readonly total: number,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly heartbeat: Heartbeat,
  ) {
    this.lastLine = clock.now();
    this.step = Math.max(1, Math.ceil(total / 10));
  }

  record(outcome: Outcome): void {
    this.done += 1;
    this.counts[outcome] += 1;
    if (this.done !== this.total && this.done % this.step !== 0 && this.clock.now() - this.lastLine < PROGRESS_INTERVAL_MS) return;
    this.lastLine = this.clock.now();
    this.heartbeat.touch();
    this.logger.info(`processed ${this.describe()}`);
  }

  describe(): string {
    const { copied, unchanged, skipped, failed } = this.counts;
    return `${this.done}/${this.total}: copied ${copied}, unchanged ${unchanged}, skipped ${skipped}, failed ${failed}`;
  }
}

interface VaultConnection {
  port: VaultPort;
  throttled: () => number;
  /** Until when the vault asked to be left alone, if that is still ahead. */
  waitingUntil: () => number | undefined;
}

function connect(vault: VaultReference, options: MigrationOptions, dependencies: MigrationDependencies, clock: Clock): VaultConnection {
  const limiter = new VaultRateLimiter(options.budgets, clock);
  let throttled = 0;
  let announcedUntil = 0;
  const observer: RequestObserver = {
    beforeSend: (method) => limiter.acquire(requestKind(method)),
    afterResponse: (status, retryAfterMs) => {
      if (status === 429) throttled += 1;
      if (!((status === 429 || status === 503) && retryAfterMs !== undefined) || retryAfterMs > options.maxWaitMs) return;
      // Everyone waits, not only the request that was told to: the budget is the vault's.
      limiter.pause(retryAfterMs);
      // One line per new long wait, not one per worker told the same thing.
      if (retryAfterMs >= ANNOUNCED_WAIT_MS && limiter.waitingUntil > announcedUntil + ANNOUNCED_WAIT_MS) {
        announcedUntil = limiter.waitingUntil;
        dependencies.logger.info(
          `Key Vault '${vault.name}' answered HTTP ${status} and asked to wait ${Math.round(retryAfterMs / 1000)} s (Retry-After): its requests resume at ${new Date(announcedUntil).toISOString()}`,
        );
      }
    },
  };
  return {
    port: dependencies.openVault
      ? dependencies.openVault(vault, observer)
      : openKeyVault(vault, dependencies.env, {
          observer,
          maxRetryAfterMs: options.maxWaitMs,
          ...(dependencies.requestTimeoutMs ? { requestTimeoutMs: dependencies.requestTimeoutMs } : {}),
          ...(dependencies.retry ? { retry: dependencies.retry } : {}),
        }),
    throttled: () => throttled,
    waitingUntil: () => (limiter.waitingUntil > clock.now() ? limiter.waitingUntil : undefined),
  };
}

/** Runs `fn` and turns a VaultRequestError that no retry will fix into the ConfigurationError the user needs. */
async function onVault<T>(side: Side, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof VaultRequestError) throw configurationProblem(error, side) ?? error;
    throw error;
  }
}

/** What earlier attempts at one secret already did. */
interface CopyProgress {
  recovered: boolean;
  /** The change an attempt started to write, e.g. `create`. */
  written?: string;
}

class SecretCopier {
  constructor(
    private readonly source: VaultPort,
    private readonly target: VaultPort,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly retryDelayMs: number,
  ) {}

  async copy(action: CopyAction): Promise<SecretResult> {
    const progress: CopyProgress = { recovered: false };
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.copyOnce(action, attempt > 1, progress);
      } catch (error) {
        if (!(error instanceof VaultRequestError)) throw error;
        if (error.status === 403 && error.innerCode === 'SecretDisabled') {
          this.logger.warning(`Secret '${action.name}' was skipped: ${disabledSourceReason}.`);
          return { name: action.name, outcome: 'skipped', action: 'none', reason: disabledSourceReason };
        }
        const problem = configurationProblem(error, error.vault.url === this.source.vault.url ? 'source' : 'target');
        if (problem) throw problem;
        if (attempt < ATTEMPTS_PER_SECRET && isRetryableHere(error)) {
          // Exponential backoff with full jitter, so workers that failed together do not retry together.
          await this.clock.sleep(Math.random() * this.retryDelayMs * 2 ** attempt);
          continue;
        }
        return { name: action.name, outcome: 'failed', action: 'none', reason: error.message };
      }
    }
  }

  private async readTarget(name: string): Promise<SecretVersion | undefined> {
    try {
      const current = await this.target.getSecret(name);
      this.logger.mask(current.value);
      return current;
    } catch (error) {
      // Absent, or its latest version is disabled: either way there is nothing to compare with.
      if (error instanceof VaultRequestError && (error.status === 404 || (error.status === 403 && error.innerCode === 'SecretDisabled')))
        return undefined;
      throw error;
    }
  }

  /** One attempt. `retrying`: an earlier attempt may have written already, so compare first whatever the mode. */
  private async copyOnce(action: CopyAction, retrying: boolean, progress: CopyProgress): Promise<SecretResult> {
    const name = action.name;
    let source: SecretVersion;
    try {
      source = await this.source.getSecret(name);
    } catch (error) {
      if (error instanceof VaultRequestError && error.status === 404)
        return { name, outcome: 'skipped', action: 'none', reason: 'deleted from the source during the run' };
      throw error;
    }
    this.logger.mask(source.value);

    const reasons: string[] = [];
    if (action.target === 'deleted' && action.write && !progress.recovered) {
      try {
        await this.target.recoverDeletedSecret(name);
        progress.recovered = true;
      } catch (error) {
        // Gone from the deleted list: recovered or purged by someone else meanwhile. Reading the target tells which.
        if (!(error instanceof VaultRequestError && (error.status === 404 || error.status === 409))) throw error;
      }
    }
    if (progress.recovered) reasons.push('soft-deleted in the target, recovered');

    const targetMayHoldIt = action.target === 'live' || (action.target === 'deleted' && action.write) || retrying;
    const current = (action.compare || retrying) && targetMayHoldIt ? await this.readTarget(name) : undefined;

    let step: 'none' | 'update properties' | 'new version';
    if (current) {
      const sameValue = current.value === source.value;
      const fields = differingMetadata(source.metadata, current.metadata);
      if (sameValue && fields.length === 0) {
        step = 'none';
        reasons.push(
          progress.written === undefined ? 'value and properties already match' : 'an earlier attempt wrote it; its response was lost',
        );
      } else if (sameValue && canUpdateInPlace(source.metadata, current.metadata)) {
        step = 'update properties';
        reasons.push(`properties differ: ${fields.join(', ')}`);
      } else {
        step = 'new version';
        reasons.push(sameValue ? `properties differ: ${fields.join(', ')} (clearing one takes a new version)` : 'value differs');
      }
    } else {
      step = 'new version';
      if (action.note) reasons.push(action.note);
      else if (action.target === 'absent') reasons.push('not in the target');
      else if (action.target === 'deleted' && !action.write) reasons.push('soft-deleted in the target: would be recovered, then compared');
      else if (!action.compare) reasons.push("overwrite is 'always'");
      else reasons.push('no readable version in the target');
    }

    // A match found after an earlier attempt wrote is that attempt's copy, not a secret that was already there.
    const outcome: Outcome = step === 'none' && !progress.recovered && progress.written === undefined ? 'unchanged' : 'copied';
    const change = step === 'none' ? progress.written : !current && action.target === 'absent' ? 'create' : step;
    const recovery = progress.recovered || (action.target === 'deleted' && !action.write) ? 'recover' : undefined;
    const label = [recovery, change].filter((part) => part !== undefined).join(' + ') || 'none';
    if (!action.write) return { name, outcome, action: label === 'none' ? label : `would ${label}`, reason: reasons.join('; ') };

    if (change !== undefined) progress.written = change;
    if (step === 'new version') await this.target.setSecret(name, source.value, source.metadata);
    if (step === 'update properties' && current) await this.target.updateSecretMetadata(name, current.version, source.metadata);

    if (action.verify && step !== 'none') {
      const written = await this.readTarget(name);
      if (!written || written.value !== source.value) {
        return { name, outcome: 'failed', action: label, reason: "verification failed: the target's latest value is not the source's" };
      }
      const fields = differingMetadata(source.metadata, written.metadata);
      if (fields.length > 0)
        return {
          name,
          outcome: 'failed',
          action: label,
          reason: `verification failed: properties differ after writing: ${fields.join(', ')}`,
        };
      reasons.push('verified');
    }
    return { name, outcome, action: label, reason: reasons.join('; ') };
  }
}

/** Runs `work` over `items` with at most `concurrency` at a time; stops taking new items once `shouldStop` says so. */
async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  shouldStop: () => boolean,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !shouldStop()) {
      const item = items[next++];
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * Copies the latest version of each selected secret from the source vault to the target.
 * Values stay in memory, are masked before anything else touches them, and appear in no
 * message, result or output. Idempotent under if-changed: a re-run, also after an interrupted
 * run, writes only what still differs.
 */
export async function migrateSecrets(options: MigrationOptions, dependencies: MigrationDependencies): Promise<MigrationReport> {
  const clock = dependencies.clock ?? systemClock;
  const source = connect(options.source, options, dependencies, clock);
  const target = connect(options.target, options, dependencies, clock);
  let doing = () => `listing secrets in '${options.source.name}' and '${options.target.name}'`;
  const waitingOn = () =>
    [source, target].flatMap((side, index) => {
      const until = side.waitingUntil();
      return until === undefined
        ? []
        : [`'${(index === 0 ? options.source : options.target).name}' asked to wait until ${new Date(until).toISOString()}`];
    });
  const heartbeat = new Heartbeat(dependencies.logger, clock, dependencies.heartbeatMs ?? HEARTBEAT_MS, () =>
    [doing(), ...waitingOn()].join('; '),
  );
  try {
    return await migrateWith(source, target, options, dependencies, clock, heartbeat, (describe) => (doing = describe));
  } finally {
    heartbeat.stop();
  }
}

async function migrateWith(
  source: VaultConnection,
  target: VaultConnection,
  options: MigrationOptions,
  dependencies: MigrationDependencies,
  clock: Clock,
  heartbeat: Heartbeat,
  nowDoing: (describe: () => string) => void,
): Promise<MigrationReport> {
  const { logger } = dependencies;
  const started = clock.now();
  const listed = await logger.group(`List secrets in '${options.source.name}' and '${options.target.name}'`, async () => {
    const [sourceSecrets, inventory] = await Promise.all([
      onVault('source', () => source.port.listSecrets()),
      listTarget(target, options, dependencies),
    ]);
    heartbeat.touch();
    logger.info(
      `source '${options.source.name}': ${plural(sourceSecrets.length, 'secret')}; target '${options.target.name}': ${plural(inventory.secrets.length, 'secret')}${inventory.kind === 'data plane' ? `, ${inventory.deletedNames.length} soft-deleted` : ' (through Resource Manager)'}`,
    );
    return { sourceSecrets, target: inventory };
  });
  if (listed.target.kind === 'Resource Manager')
    return migrateThroughArm(source, listed.sourceSecrets, listed.target, options, dependencies, clock, started);
  const plan: PlannedAction[] = planMigration(listed.sourceSecrets, listed.target, options);

  const { results, copies } = rowsOf(plan);
  const copier = new SecretCopier(source.port, target.port, logger, clock, dependencies.retry?.retryDelayInMs ?? 1_000);
  const progress = new Progress(copies.length, logger, clock, heartbeat);
  nowDoing(() => `processed ${progress.describe()}`);

  let stoppedBy: Error | undefined;
  await logger.group(`${options.dryRun ? 'Compare (dry run)' : 'Copy'} ${plural(copies.length, 'secret')}`, () =>
    forEachConcurrently(
      copies,
      options.concurrency,
      () => stoppedBy !== undefined,
      async ({ action, row }) => {
        try {
          results[row] = await copier.copy(action);
          progress.record(results[row].outcome);
        } catch (error) {
          // Missing access, an unknown vault or one that will not serve fails every secret alike: stop, and say what to do.
          if (error instanceof ConfigurationError || error instanceof VaultUnavailableError) stoppedBy ??= error;
          else throw error;
        }
      },
    ),
  );
  if (stoppedBy) throw stoppedBy;

  return reportOf(
    plan,
    results.map((result) => (result.action === 'none' ? result : { ...result, path: 'data plane' })),
    options,
    'data plane',
    source.throttled() + target.throttled(),
    clock.now() - started,
  );
}

/** A row per planned secret (skips are final already; each copy fills in its own), and the copies with their rows. */
function rowsOf(plan: PlannedAction[]): { results: SecretResult[]; copies: { action: CopyAction; row: number }[] } {
  return {
    results: plan.map((action) => ({
      name: action.name,
      outcome: 'skipped',
      action: 'none',
      reason: action.kind === 'skip' ? action.reason : '',
    })),
    copies: plan.flatMap((action, row) => (action.kind === 'copy' ? [{ action, row }] : [])),
  };
}

function reportOf(
  plan: PlannedAction[],
  results: SecretResult[],
  options: MigrationOptions,
  targetPath: WritePath,
  throttledResponses: number,
  elapsedMs: number,
): MigrationReport {
  const counts: Record<Outcome, number> = { copied: 0, unchanged: 0, skipped: 0, failed: 0 };
  for (const result of results) counts[result.outcome] += 1;
  // Named in the report (text, Markdown, JSON), which says why production does without them.
  const unused = plan.filter((action) => action.unusedInProduction).map((action) => action.name);
  return {
    source: options.source.name,
    target: options.target.name,
    targetPath,
    dryRun: options.dryRun,
    results,
    counts,
    ...(unused.length > 0 ? { unusedInProduction: unused, includeUnused: options.includeUnused } : {}),
    throttledResponses,
    elapsedMs,
  };
}

type TargetListing =
  | { kind: 'data plane'; secrets: SecretSummary[]; deletedNames: string[] }
  | { kind: 'Resource Manager'; secrets: SecretSummary[]; arm: ArmPort; vault: ArmVault; armSecrets: Map<string, ArmSecret> };

/**
 * The target's secrets, from its data plane, or through Resource Manager when the vault refuses this
 * runner's network (target-path auto) or when asked to (resource-manager).
 */
async function listTarget(target: VaultConnection, options: MigrationOptions, dependencies: MigrationDependencies): Promise<TargetListing> {
  if (options.targetPath !== 'resource-manager') {
    try {
      const [secrets, deletedNames] = await Promise.all([target.port.listSecrets(), target.port.listDeletedSecretNames()]);
      return { kind: 'data plane', secrets, deletedNames };
    } catch (error) {
      if (!(error instanceof VaultRequestError) || !refusesNetwork(error) || options.targetPath === 'data-plane')
        throw error instanceof VaultRequestError ? (configurationProblem(error, 'target') ?? error) : error;
      dependencies.logger.info(
        `Key Vault '${options.target.name}' refuses this runner's network (HTTP 403 ${error.innerCode}): its secrets are written through Resource Manager instead, each value a secure deployment parameter.`,
      );
    }
  }
  const subscriptionId = subscriptionOf(options.subscriptionId, dependencies.env, options.subscriptionInput);
  const arm = dependencies.arm
    ? dependencies.arm(subscriptionId)
    : (await import('../azure/arm.js')).armPort(dependencies.env, subscriptionId);
  const vault = await locateVault(arm, options.target);
  const armSecrets = await listArmSecrets(arm, vault);
  const secrets = [...armSecrets.values()].map((secret): SecretSummary => ({ name: secret.name, managed: false, ...secret.metadata }));
  return { kind: 'Resource Manager', secrets, arm, vault, armSecrets };
}

/** Secrets read at once before their batch is written: each value stays in memory until its deployment is sent. */
const ARM_CHUNK = 200;

/**
 * The Resource Manager path: each selected secret's latest source version is read (masked at once),
 * compared with the target by its source-version tag and properties, and what differs is written in
 * deployments. Soft-deleted names cannot be seen through Resource Manager; a write to one fails, and
 * the report says what to do.
 */
async function migrateThroughArm(
  source: VaultConnection,
  sourceSecrets: SecretSummary[],
  target: Extract<TargetListing, { kind: 'Resource Manager' }>,
  options: MigrationOptions,
  dependencies: MigrationDependencies,
  clock: Clock,
  started: number,
): Promise<MigrationReport> {
  const { logger } = dependencies;
  const plan = planMigration(sourceSecrets, { secrets: target.secrets, deletedNames: [] }, options);
  const { results, copies } = rowsOf(plan);
  const path: WritePath = 'Resource Manager';
  await logger.group(
    `${options.dryRun ? 'Compare (dry run)' : 'Copy'} ${plural(copies.length, 'secret')} through Resource Manager`,
    async () => {
      for (let start = 0; start < copies.length; start += ARM_CHUNK) {
        const chunk = copies.slice(start, start + ARM_CHUNK);
        const writes: { row: number; secret: SecretVersion; reason: string }[] = [];
        await forEachConcurrently(
          chunk,
          options.concurrency,
          () => false,
          async ({ action, row }) => {
            let secret: SecretVersion;
            try {
              secret = await onVault('source', () => source.port.getSecret(action.name));
            } catch (error) {
              if (error instanceof VaultRequestError && error.status === 404) {
                results[row] = { name: action.name, outcome: 'skipped', action: 'none', reason: 'deleted from the source during the run' };
                return;
              }
              if (error instanceof VaultRequestError && error.status === 403 && error.innerCode === 'SecretDisabled') {
                results[row] = { name: action.name, outcome: 'skipped', action: 'none', reason: disabledSourceReason };
                return;
              }
              throw error;
            }
            logger.mask(secret.value);
            const current = target.armSecrets.get(action.name.toLowerCase());
            const reason =
              options.overwrite === 'always'
                ? "overwrite is 'always'"
                : armWriteReason({ name: secret.name, managed: false, version: secret.version, ...secret.metadata }, current);
            if (reason === undefined) {
              results[row] = {
                name: action.name,
                outcome: 'unchanged',
                action: 'none',
                reason: 'source version tag and properties already match',
              };
              return;
            }
            const change = current ? 'new version' : 'create';
            if (!action.write) {
              results[row] = { name: action.name, outcome: 'copied', action: `would ${change}`, reason, path };
              return;
            }
            results[row] = { name: action.name, outcome: 'copied', action: change, reason, path };
            writes.push({ row, secret, reason });
          },
        );
        if (writes.length === 0) continue;
        const written = await writeThroughArm(
          target.arm,
          target.vault,
          writes.map(({ secret }) => ({ secret })),
          logger,
          (ms) => clock.sleep(ms),
        );
        const after = options.verify ? await listArmSecrets(target.arm, target.vault) : undefined;
        for (const { row, secret } of writes) {
          const failure = written.get(secret.name);
          const result = results[row] as SecretResult;
          if (failure) {
            results[row] = { ...result, outcome: 'failed', reason: failure };
            continue;
          }
          if (!after) continue;
          const check = armWriteReason(
            { name: secret.name, managed: false, version: secret.version, ...secret.metadata },
            after.get(secret.name.toLowerCase()),
          );
          results[row] =
            check === undefined || /no tag can record/.test(check)
              ? {
                  ...result,
                  reason: `${result.reason}; verified: the target's latest version carries this source version and its properties (Resource Manager never returns values)`,
                }
              : { ...result, outcome: 'failed', reason: `verification failed: ${check}` };
        }
      }
    },
  );
  return reportOf(plan, results, options, path, source.throttled(), clock.now() - started);
}
