/**
 * The rollout of an image as a new Container Apps revision: created at zero traffic with the label
 * `candidate`, proven healthy (Azure's revision states, then consecutive 2xx probes of its own
 * address), judged by the live HIPAA gate, then given traffic step by step; any failure, or a
 * cancelled job, puts traffic back to the exact split it found and deactivates the new revision.
 * (Over 500 lines on purpose: every step and its undo sit side by side, so a reviewer can check
 * that each change to traffic has its way back.)
 */
import { createHttpHeaders, createPipelineRequest, type HttpClient } from '@azure/core-rest-pipeline';
import { armError, armFailureOf, describeArmFailure, type ArmPort, type ArmResponse } from '../azure/arm-port.js';
import { azureHttpClient } from '../azure/credential.js';
import { apiVersionOf } from '../azure/resource-types.js';
import { findingGroups, resourceNames, someOf } from '../compliance/report/groups.js';
import { renderVerdictLine } from '../compliance/report/markdown.js';
import { renderText } from '../compliance/report/text.js';
import { loadConfig } from '../config/load.js';
import { PLACEHOLDER_IMAGE } from '../config/schema.js';
import { ConfigurationError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { runGate } from '../gate/gate.js';

export type RolloutStage = 'all' | 'candidate' | 'promote' | 'rollback';

export interface TrafficWeight {
  revisionName?: string;
  latestRevision?: boolean;
  weight: number;
  label?: string;
}

export interface RolloutRequest {
  cwd: string;
  config?: string;
  /** The image by digest (`<login server>/<repository>@sha256:...`); not needed to roll back. */
  image?: string;
  stage: RolloutStage;
  /** The new revision's suffix: unique per deploy (commit and run). */
  suffix: string;
  /**
   * The commit the image was built from (its `org.opencontainers.image.revision`). Stamped on the new
   * revision; an app already serving it is left alone (a re-run builds the same code to a new digest).
   */
  commit?: string;
  healthTimeoutSeconds: number;
  /** Consecutive 2xx answers the candidate's address must give. */
  probeCount: number;
  gate: 'live' | 'none';
  /** Percentages of traffic the new revision gets, in order, ending at 100. */
  trafficSteps: number[];
  /** How long the app's own address is probed after each step but the last. */
  stepWaitSeconds: number;
  /** Active revisions kept after a promotion (the new and the previous one by default). */
  keepRevisions: number;
  /**
   * The app's public address when Front Door is its edge (provision's app-host-name): the
   * environment is then closed to the internet, so a runner outside its network proves a revision
   * healthy from Azure's view and probes the app through the edge.
   */
  edgeHost?: string;
  /** The revision to promote or roll back to, instead of the one the label names. */
  revision?: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Cancels the rollout (the runner's SIGINT/SIGTERM): traffic goes back, and it ends failed. */
  signal?: AbortSignal;
  /** How often revision states and probes are polled (default 2 s; tests shorten it). */
  pollIntervalMs?: number;
  /**
   * How long a cancelled rollout may take to put traffic back, from the cancel (default 7 s: the runner
   * kills a cancelled step about 10 s after SIGINT, and the report must be written before that).
   */
  cancelGraceMs?: number;
}

export interface RolloutPorts {
  arm: ArmPort;
  /** HTTPS to the app's addresses; by default what the environment asks for (the sandbox's under AZURE_HIPAA_SANDBOX). */
  http?: HttpClient;
}

export interface TimelineEntry {
  /** Seconds since the rollout started. */
  at: number;
  event: string;
}

export interface RolloutResult {
  revision: string;
  previousRevision?: string;
  fqdn: string;
  /** The app's public host name: the edge's when it has one, else fqdn. */
  appHostName: string;
  revisionFqdn: string;
  rolledBack: boolean;
  traffic: TrafficWeight[];
  /** Nothing was changed: the app already served this image with all its traffic. */
  unchanged: boolean;
  timeline: TimelineEntry[];
  /** The live gate's verdict in one line (Markdown), when it ran. */
  gateReport?: string;
  /** Where the app lives, for the command that shows the revision's logs. */
  resourceGroup: string;
  app: string;
}

/** A rollout that failed; traffic was put back where it was (when `rolledBack`) before this was thrown. */
export class RolloutFailedError extends Error {
  constructor(
    message: string,
    readonly result: RolloutResult,
  ) {
    super(message);
  }
}

interface AppState {
  name: string;
  mode: string;
  targetPort?: number;
  traffic: TrafficWeight[];
  template: Record<string, unknown>;
  latestRevisionName?: string;
  domain: string;
}

interface RevisionState {
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

const APP_TYPE = 'Microsoft.App/containerApps';
/** The variable each revision the rollout creates carries its commit in: what Container Apps shows of a revision's code. */
export const COMMIT_ENV = 'AZURE_HIPAA_COMMIT';
const LOCK_RETRIES = 6;
const CANCEL_GRACE_MS = 7000;

/** How a PATCH ended: its operation done, or accepted by ARM and still running when a cancelled job had to stop waiting. */
type PatchOutcome = 'done' | 'accepted';

export async function rollout(request: RolloutRequest, ports: RolloutPorts): Promise<RolloutResult> {
  const { config } = await loadConfig(request.config, { cwd: request.cwd });
  const { name, healthPath, targetPort } = config.containerApp;
  return new Rollout(request, ports, config.resourceGroup, name, healthPath, targetPort).run();
}

class Rollout {
  private readonly started = Date.now();
  private readonly timeline: TimelineEntry[] = [];
  private readonly path: string;
  private readonly apiVersion = apiVersionOf(APP_TYPE);
  private readonly http: HttpClient;
  /** How often states and probes are polled: as asked, else as ARM's last Retry-After hint asked, else 2 s. */
  private pollMs: number;
  /** When the job was cancelled: from then on, only putting traffic back counts, within the grace. */
  private cancelledAt?: number;

  constructor(
    private readonly request: RolloutRequest,
    private readonly ports: RolloutPorts,
    private readonly resourceGroup: string,
    private readonly appName: string,
    private readonly healthPath: string,
    private readonly targetPort: number,
  ) {
    this.path = `/subscriptions/${ports.arm.subscriptionId}/resourceGroups/${resourceGroup}/providers/${APP_TYPE}/${appName}`;
    this.http = ports.http ?? azureHttpClient(request.env);
    this.pollMs = request.pollIntervalMs ?? 2000;
    const signal = request.signal;
    if (signal?.aborted) this.cancelledAt = Date.now();
    else signal?.addEventListener('abort', () => (this.cancelledAt = Date.now()), { once: true });
  }

  async run(): Promise<RolloutResult> {
    const app = await this.readApp();
    if (this.request.stage === 'rollback') return this.rollbackStage(app);
    if (this.request.stage === 'promote') return this.promoteStage(app);
    if (!this.request.image) throw new ConfigurationError('No image to deploy: build one here, or give the image input.');
    const revisions = await this.readRevisions();
    const serving = this.servingAll(app, revisions);
    const commit = this.request.commit;
    if (serving && serving.image === this.request.image) {
      this.log(`${this.appName} already serves ${this.request.image} with all its traffic (revision ${serving.name}): nothing to change.`);
      return this.result(app, serving.name, undefined, app.traffic, { unchanged: true });
    }
    // Images are not reproducible: the same commit built again (a re-run) has a new digest, and is still no change.
    if (serving && commit && sameCommit(serving.commit, commit)) {
      this.log(
        `${this.appName} already serves commit ${commit} with all its traffic (revision ${serving.name}, ${serving.image ?? 'its image'}): nothing to change.`,
      );
      return this.result(app, serving.name, undefined, app.traffic, { unchanged: true });
    }
    // The split as it is, every entry by name: what a rollback restores exactly.
    const previous = pin(app.traffic, app);
    const previousRevision = previousFor(previous, revisions, commit);
    const candidate = `${this.appName}--${this.request.suffix}`;
    let created = false;
    try {
      if (app.mode !== 'multiple') {
        this.log(
          `Switching ${this.appName} to multiple revision mode, its traffic pinned to ${previousRevision ?? 'its revision'} so nothing moves.`,
        );
        await this.patch({ configuration: { activeRevisionsMode: 'Multiple', ingress: { traffic: previous } } });
      }
      const containers = (app.template['containers'] as Record<string, unknown>[] | undefined) ?? [];
      const [first, ...rest] = containers;
      if (!first) throw new Error(`${this.appName} has no container to put the image in.`);
      this.log(`Creating revision ${candidate} with ${this.request.image} at 0% traffic, label candidate.`);
      // The app's port and health path from the config: the placeholder the environment starts with serves port 80 at /.
      const probes = ((first['probes'] as Record<string, unknown>[] | undefined) ?? []).map((probe) =>
        probe['httpGet'] ? { ...probe, httpGet: { ...(probe['httpGet'] as object), path: this.healthPath, port: this.targetPort } } : probe,
      );
      // The commit stamped on the revision; the stamp the template carries from the last revision never stays.
      const env = [
        ...((first['env'] as Record<string, unknown>[] | undefined) ?? []).filter((variable) => variable['name'] !== COMMIT_ENV),
        ...(commit ? [{ name: COMMIT_ENV, value: commit }] : []),
      ];
      await this.patch({
        template: {
          ...app.template,
          revisionSuffix: this.request.suffix,
          containers: [
            { ...first, image: this.request.image, ...(probes.length > 0 ? { probes } : {}), ...(env.length > 0 ? { env } : {}) },
            ...rest,
          ],
        },
        configuration: {
          ingress: {
            ...(app.targetPort !== this.targetPort ? { targetPort: this.targetPort } : {}),
            traffic: [...withoutLabel(previous, 'candidate'), { revisionName: candidate, weight: 0, label: 'candidate' }],
          },
        },
      });
      created = true;
      await this.waitHealthy(candidate);
      await this.proveCandidate(candidate, `https://${this.appName}---candidate.${app.domain}${this.healthPath}`);
      if (this.request.stage === 'candidate') {
        this.log(`Candidate ${candidate} is healthy at 0% traffic; promote it with stage: promote.`);
        return this.result(app, candidate, previousRevision, (await this.readApp()).traffic);
      }
      const gateReport = await this.judge();
      const traffic = await this.promote(app, candidate, previous, previousRevision);
      await this.retire(candidate, previousRevision);
      return { ...this.result(app, candidate, previousRevision, traffic), ...(gateReport ? { gateReport } : {}) };
    } catch (error) {
      return this.rollBack(error, app, created ? candidate : undefined, previous, previousRevision);
    }
  }

  // ---------------------------------------------------------------- stages run on their own

  private async promoteStage(app: AppState): Promise<RolloutResult> {
    const candidate = this.request.revision ?? app.traffic.find((entry) => entry.label === 'candidate')?.revisionName;
    if (!candidate)
      throw new ConfigurationError(
        `${this.appName} has no revision labelled candidate: run stage candidate first, or give the revision input.`,
      );
    const previous = withoutLabel(pin(app.traffic, app), 'candidate').filter((entry) => entry.revisionName !== candidate);
    const revisions = await this.readRevisions();
    const previousRevision = previousFor(previous, revisions, revisions.find((revision) => revision.name === candidate)?.commit);
    try {
      await this.waitHealthy(candidate);
      const gateReport = await this.judge();
      const traffic = await this.promote(app, candidate, previous, previousRevision);
      await this.retire(candidate, previousRevision);
      return { ...this.result(app, candidate, previousRevision, traffic), ...(gateReport ? { gateReport } : {}) };
    } catch (error) {
      return this.rollBack(error, app, candidate, previous.length > 0 ? previous : pin(app.traffic, app), previousRevision);
    }
  }

  private async rollbackStage(app: AppState): Promise<RolloutResult> {
    const target = this.request.revision ?? app.traffic.find((entry) => entry.label === 'previous')?.revisionName;
    if (!target)
      throw new ConfigurationError(`${this.appName} has no revision labelled previous to roll back to: give the revision input.`);
    const current = [...pin(app.traffic, app)].sort((a, b) => b.weight - a.weight)[0]?.revisionName;
    const revisions = await this.readRevisions();
    if (!revisions.find((revision) => revision.name === target)?.active) await this.action(target, 'activate');
    await this.waitHealthy(target);
    const traffic: TrafficWeight[] = [{ revisionName: target, weight: 100 }];
    await this.patch({ configuration: { ingress: { traffic } } });
    this.log(`Rolled back: ${target} serves 100%.`);
    if (current && current !== target) await this.action(current, 'deactivate');
    return { ...this.result(app, target, current, traffic), rolledBack: true };
  }

  // ---------------------------------------------------------------- steps

  /** Gives the candidate each step's share; the previous revision keeps the label `previous` at 0% for an instant rollback. */
  private async promote(
    app: AppState,
    candidate: string,
    previous: TrafficWeight[],
    previousRevision: string | undefined,
  ): Promise<TrafficWeight[]> {
    let traffic: TrafficWeight[] = [];
    // Over the placeholder the environment starts with there are no users to protect, and it does not
    // serve the app's health path: the first deploy takes all traffic at once.
    const revisions = await this.readRevisions();
    const placeholder = previous.every(
      (entry) =>
        entry.weight === 0 || revisions.find((revision) => revision.name === entry.revisionName)?.image === PLACEHOLDER_IMAGE.image,
    );
    if (placeholder && this.request.trafficSteps.length > 1)
      this.log('The app serves the placeholder image: its first deploy takes all traffic at once.');
    const steps = placeholder ? [100] : this.request.trafficSteps;
    for (const [index, percent] of steps.entries()) {
      const last = index === steps.length - 1;
      traffic = last
        ? [
            { revisionName: candidate, weight: 100 },
            ...(previousRevision ? [{ revisionName: previousRevision, weight: 0, label: 'previous' }] : []),
          ]
        : [...scaled(withoutLabel(previous, 'previous'), 100 - percent), { revisionName: candidate, weight: percent, label: 'candidate' }];
      await this.patch({ configuration: { ingress: { traffic } } });
      const others = traffic.filter((entry) => entry.revisionName !== candidate && entry.weight > 0);
      this.log(
        `Traffic: ${[{ revisionName: candidate, weight: percent }, ...others].map((entry) => `${entry.revisionName} ${entry.weight}%`).join(', ')}.`,
      );
      // Behind the edge the app's public address is the edge's: that is what callers reach.
      const address = this.request.edgeHost ?? `${this.appName}.${app.domain}`;
      if (!last) await this.probe(`https://${address}${this.healthPath}`, 0, `${percent}%`);
    }
    return traffic;
  }

  /** Deactivates active revisions beyond keep-revisions, never the new or the previous one. */
  private async retire(candidate: string, previous: string | undefined): Promise<void> {
    const active = (await this.readRevisions()).filter(
      (revision) => revision.active && revision.name !== candidate && revision.name !== previous,
    );
    const room = Math.max(0, this.request.keepRevisions - (previous ? 2 : 1));
    const sorted = active.sort((a, b) => String(b.createdTime).localeCompare(String(a.createdTime)));
    for (const revision of sorted.slice(room)) {
      await this.action(revision.name, 'deactivate');
      this.log(`Deactivated ${revision.name} (keep-revisions ${this.request.keepRevisions}).`);
    }
  }

  private async judge(): Promise<string | undefined> {
    if (this.request.gate === 'none') return undefined;
    const run = await runGate({
      cwd: this.request.cwd,
      ...(this.request.config ? { config: this.request.config } : {}),
      live: { arm: this.ports.arm, resourceGroup: this.resourceGroup },
    });
    const groups = findingGroups(run.report, run.policy).filter((group) => group.blocking);
    const blocking = groups.reduce((sum, group) => sum + group.findings.length, 0);
    this.log(`HIPAA gate on the live resource group: ${run.report.verdict}${blocking > 0 ? ` (${blocking} blocking)` : ''}.`);
    // The whole report goes to the log; the summary gets the verdict in one line.
    this.request.logger.info(renderText(run.report, run.policy));
    const verdict = renderVerdictLine(run.report, run.policy, {
      fullReport: `this step's log, or \`npx azure-hipaa gate --live --resource-group ${this.resourceGroup}${this.request.config ? ` --config ${this.request.config}` : ''}\``,
    });
    if (blocking > 0)
      throw new GateBlockedError(
        `The HIPAA gate blocks promotion: ${groups.map((group) => `${group.control} on ${someOf(resourceNames(group), 5)}`).join('; ')}.`,
        verdict,
      );
    return verdict;
  }

  /** Waits for Azure's states: Provisioned, Running, Healthy. Failed, Degraded or the timeout fail. */
  private async waitHealthy(name: string): Promise<void> {
    const deadline = this.started + this.request.healthTimeoutSeconds * 1000;
    let last = '';
    for (;;) {
      this.throwIfCancelled();
      const response = await this.send('GET', `${this.path}/revisions/${name}`);
      if (response.status === 404) throw new Error(`Revision ${name} does not exist: Azure did not create it.`);
      const revision = revisionOf(response.body);
      const states = `${revision.provisioningState}/${revision.runningState}/${revision.healthState}`;
      if (states !== last) this.log(`Revision ${name}: ${states}.`);
      last = states;
      if (revision.provisioningState === 'Failed' || revision.runningState === 'Failed' || revision.runningState === 'Degraded')
        throw new Error(
          `Revision ${name} is ${revision.provisioningState}/${revision.runningState}: ${revision.provisioningError ?? 'Azure gave no error'}`,
        );
      if (revision.provisioningState === 'Provisioned' && revision.runningState === 'Running' && revision.healthState === 'Healthy') return;
      if (Date.now() > deadline)
        throw new Error(
          `Revision ${name} was not healthy within health-timeout-seconds (${this.request.healthTimeoutSeconds}): it is ${states}.`,
        );
      await this.sleep(this.pollMs);
    }
  }

  /**
   * The candidate's proof of health, and the log says which: probes of its label address where this
   * runner reaches the environment (inside its network, or an environment open to the internet);
   * behind the edge, from outside the network (the label address refuses, 403, or does not answer),
   * Azure's own view: the revision Provisioned, Running and Healthy, which Azure derives from the
   * readiness probes it runs inside the environment, for `probeCount` consecutive reads.
   */
  private async proveCandidate(candidate: string, labelUrl: string): Promise<void> {
    const first = this.request.edgeHost ? await this.get(labelUrl) : undefined;
    if (first !== 403 && first !== 0) {
      this.log(`Proof of health: probes of the candidate's label address ${labelUrl} (this runner reaches the environment).`);
      return this.probe(labelUrl, this.request.probeCount, 'candidate');
    }
    this.log(
      `Proof of health: Azure's view. ${labelUrl} ${first === 403 ? 'refuses this runner (403: the environment is closed to the internet)' : 'does not answer this runner'}; the edge ${this.request.edgeHost ?? ''} is the app's address, so the revision's own states, from the readiness probes Azure runs, decide.`,
    );
    for (let read = 1; read <= this.request.probeCount; read++) {
      await this.waitHealthy(candidate);
      if (read < this.request.probeCount) await this.sleep(this.pollMs);
    }
    this.log(`Revision ${candidate}: Provisioned/Running/Healthy in ${this.request.probeCount} consecutive reads.`);
  }

  /**
   * GETs `url` until `count` consecutive 2xx answers (count 0: for step-wait-seconds, every answer
   * must be 2xx). Each request has its own timeout.
   */
  private async probe(url: string, count: number, what: string): Promise<void> {
    const deadline = count > 0 ? this.started + this.request.healthTimeoutSeconds * 1000 : Date.now() + this.request.stepWaitSeconds * 1000;
    let consecutive = 0;
    let answered = 0;
    for (;;) {
      this.throwIfCancelled();
      const status = await this.get(url);
      // A probe the cancel cut short says nothing about the app: the run was cancelled.
      this.throwIfCancelled();
      answered++;
      if (status >= 200 && status < 300) consecutive++;
      else if (count === 0)
        throw new Error(`The app answered ${status || 'nothing'} at ${url} with ${what} of its traffic on the new revision.`);
      else consecutive = 0;
      if (count > 0 && consecutive >= count) return this.log(`${url}: ${count} consecutive 2xx.`);
      if (Date.now() > deadline) {
        if (count === 0) return this.log(`${url}: ${answered} answers in ${this.request.stepWaitSeconds} s, all 2xx.`);
        throw new Error(`${url} did not answer ${count} consecutive 2xx within health-timeout-seconds (last: ${status || 'no answer'}).`);
      }
      await this.sleep(Math.max(0, Math.min(this.pollMs, 1000, deadline - Date.now())));
    }
  }

  private async get(url: string): Promise<number> {
    try {
      const response = await this.http.sendRequest(
        createPipelineRequest({
          url,
          method: 'GET',
          timeout: 5000,
          headers: createHttpHeaders(),
          ...(this.request.signal ? { abortSignal: this.request.signal } : {}),
        }),
      );
      return response.status;
    } catch {
      return 0;
    }
  }

  // ---------------------------------------------------------------- rollback

  private async rollBack(
    error: unknown,
    app: AppState,
    candidate: string | undefined,
    previous: TrafficWeight[],
    previousRevision?: string,
  ): Promise<never> {
    const why = errorMessage(error);
    this.log(`Failed: ${why}`);
    let outcome: PatchOutcome | undefined;
    let deactivated = false;
    try {
      const accepted = await this.submit({ configuration: { ingress: { traffic: previous } } }, true);
      // Cancelled, the runner ends the step within seconds: the candidate goes before the restore's operation is waited out.
      if (this.cancelledAt !== undefined) deactivated = await this.deactivateCandidate(candidate);
      outcome = await this.wait(accepted, true);
      if (this.cancelledAt === undefined) deactivated = await this.deactivateCandidate(candidate);
      this.log(
        outcome === 'done'
          ? `Rolled back: traffic is ${describe(previous)} again${deactivated ? `, and ${candidate} is deactivated` : ''}.`
          : `Rolling back: ARM accepted traffic ${describe(previous)}; its operation was still running when the cancelled job had to stop${deactivated ? `; ${candidate} is deactivated` : ''}.`,
      );
    } catch (rollbackError) {
      this.log(`The rollback failed too: ${errorMessage(rollbackError)}`);
    }
    const restored = outcome !== undefined;
    const serving =
      outcome === 'done'
        ? `Serving now: ${describe(previous)}.`
        : outcome === 'accepted'
          ? `Traffic is going back to ${describe(previous)}: ARM accepted the update, and its operation was still running when the job had to stop.`
          : `Traffic could not be restored${this.cancelledAt !== undefined ? ' before the cancelled job had to stop' : ''}: it may still be split. Put traffic back to ${JSON.stringify(previous)} (configuration.ingress.traffic of ${this.appName}).`;
    const result = { ...this.result(app, candidate ?? previousRevision ?? '', previousRevision, previous), rolledBack: restored };
    const gateReport = error instanceof GateBlockedError ? { gateReport: error.report } : {};
    throw new RolloutFailedError(`Deploy of ${this.request.image ?? 'the candidate'} failed: ${why} ${serving}`, {
      ...result,
      ...gateReport,
    });
  }

  /** Deactivates the candidate if it is active; a refusal is logged, not thrown: traffic, the part that matters, is back. */
  private async deactivateCandidate(candidate: string | undefined): Promise<boolean> {
    if (!candidate) return false;
    try {
      if (!(await this.readRevisions()).some((revision) => revision.name === candidate && revision.active)) return false;
      await this.action(candidate, 'deactivate');
      return true;
    } catch (deactivateError) {
      this.log(`${candidate} could not be deactivated (it gets no traffic): ${errorMessage(deactivateError)}`);
      return false;
    }
  }

  // ---------------------------------------------------------------- ARM

  private async readApp(): Promise<AppState> {
    const response = await this.send('GET', this.path);
    if (response.status === 404)
      throw new ConfigurationError(`The Container App ${this.appName} does not exist in ${this.resourceGroup}: run provision first.`);
    const body = response.body as { properties?: Record<string, unknown> };
    const properties = body.properties ?? {};
    const configuration = (properties['configuration'] ?? {}) as {
      activeRevisionsMode?: string;
      ingress?: { traffic?: TrafficWeight[]; fqdn?: string; targetPort?: number };
    };
    const fqdn = configuration.ingress?.fqdn ?? '';
    return {
      name: this.appName,
      mode: String(configuration.activeRevisionsMode ?? 'Single').toLowerCase(),
      ...(configuration.ingress?.targetPort !== undefined ? { targetPort: configuration.ingress.targetPort } : {}),
      traffic: configuration.ingress?.traffic ?? [{ latestRevision: true, weight: 100 }],
      template: (properties['template'] ?? {}) as Record<string, unknown>,
      ...(typeof properties['latestRevisionName'] === 'string' ? { latestRevisionName: properties['latestRevisionName'] } : {}),
      domain: fqdn.startsWith(`${this.appName}.`) ? fqdn.slice(this.appName.length + 1) : '',
    };
  }

  private async readRevisions(): Promise<RevisionState[]> {
    const response = await this.send('GET', `${this.path}/revisions`);
    return ((response.body as { value?: unknown[] }).value ?? []).map(revisionOf);
  }

  /** The one active revision with all the traffic, if there is one. */
  private servingAll(app: AppState, revisions: RevisionState[]): RevisionState | undefined {
    const full = pin(app.traffic, app).find((entry) => entry.weight === 100);
    return revisions.find((revision) => revision.name === full?.revisionName && revision.active);
  }

  /** A JSON merge patch of the app, waited out. */
  private async patch(properties: Record<string, unknown>): Promise<void> {
    await this.wait(await this.submit(properties));
  }

  /**
   * Sends a JSON merge patch of the app. A lock conflict (another deploy) is retried with backoff, then
   * reported. `restoring` (a rollback) goes on after a cancel: then any 409 is the change still in
   * flight holding the app, retried with a short backoff until the grace a cancelled job has ends.
   */
  private async submit(properties: Record<string, unknown>, restoring = false): Promise<ArmResponse> {
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
              ? `${this.appName} stayed locked by the change in flight (${failure?.message ?? `HTTP ${response.status}`}) for as long as a cancelled job may run.`
              : `${this.appName} stayed locked by another modification (${failure?.message}). Give deploys to this app one concurrency group in the workflow, so they wait for each other.`,
          );
        await this.sleep(backoff);
        continue;
      }
      if (response.status >= 400) throw this.armFailure(response, `Updating ${this.appName}`);
      return response;
    }
  }

  /**
   * Follows a long-running operation to its end (Location or Azure-AsyncOperation). A cancel stops the
   * waiting at once, except for a rollback's own operation, waited out while the grace lasts: after
   * that it is only `accepted`.
   */
  private async wait(response: ArmResponse, restoring = false): Promise<PatchOutcome> {
    const location = response.headers['location'];
    const asyncOperation = response.headers['azure-asyncoperation'];
    if (response.status !== 201 && response.status !== 202 && !asyncOperation) return 'done';
    // An operation is polled as often as ARM asks; states and probes, as asked or else at ARM's pace too.
    const asked = Number(response.headers['retry-after-ms'] ?? Number(response.headers['retry-after'] ?? 2) * 1000);
    const operationPollMs = Number.isFinite(asked) ? Math.min(30_000, Math.max(10, asked)) : 2000;
    if (this.request.pollIntervalMs === undefined) this.pollMs = Math.min(5000, Math.max(50, operationPollMs));
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
        if (poll.status >= 400) throw this.armFailure(poll, `Updating ${this.appName}`);
        return 'done';
      }
      if (!asyncOperation) return 'done';
      const poll = await this.send('GET', asyncOperation);
      const status = (poll.body as { status?: string } | undefined)?.status;
      if (status === 'Succeeded') return 'done';
      if (status === 'Failed' || status === 'Canceled') throw this.armFailure({ ...poll, body: poll.body }, `Updating ${this.appName}`);
    }
  }

  /** When a cancelled job must have put traffic back: the runner kills the step soon after. */
  private graceEnd(): number {
    return (this.cancelledAt ?? Date.now()) + (this.request.cancelGraceMs ?? CANCEL_GRACE_MS);
  }

  private async action(revision: string, action: 'activate' | 'deactivate'): Promise<void> {
    const response = await this.send('POST', `${this.path}/revisions/${revision}/${action}`);
    if (response.status >= 400) throw this.armFailure(response, `${action === 'activate' ? 'Activating' : 'Deactivating'} ${revision}`);
  }

  private async send(method: 'GET' | 'PATCH' | 'POST', path: string, body?: unknown): Promise<ArmResponse> {
    try {
      return await this.ports.arm.send(method, path, path.startsWith('https://') ? undefined : this.apiVersion, body);
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

  // ---------------------------------------------------------------- helpers

  private result(
    app: AppState,
    revision: string,
    previousRevision: string | undefined,
    traffic: TrafficWeight[],
    extra: { unchanged?: boolean } = {},
  ): RolloutResult {
    return {
      revision,
      ...(previousRevision ? { previousRevision } : {}),
      fqdn: `${this.appName}.${app.domain}`,
      appHostName: this.request.edgeHost ?? `${this.appName}.${app.domain}`,
      revisionFqdn: `${revision}.${app.domain}`,
      rolledBack: false,
      traffic,
      unchanged: extra.unchanged ?? false,
      timeline: this.timeline,
      resourceGroup: this.resourceGroup,
      app: this.appName,
    };
  }

  private log(event: string): void {
    this.timeline.push({ at: (Date.now() - this.started) / 1000, event });
    this.request.logger.info(event);
  }

  private throwIfCancelled(): void {
    if (this.request.signal?.aborted) throw new Error('The workflow run was cancelled.');
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.request.signal;
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
}

class GateBlockedError extends Error {
  constructor(
    message: string,
    readonly report: string,
  ) {
    super(message);
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

/**
 * The revision that keeps the label `previous`: the one with most of the split whose commit is not
 * the one being deployed. Never one of that commit: the instant rollback would land on the same code.
 */
function previousFor(split: TrafficWeight[], revisions: RevisionState[], commit: string | undefined): string | undefined {
  const others = split.filter(
    (entry) => !commit || !sameCommit(revisions.find((revision) => revision.name === entry.revisionName)?.commit, commit),
  );
  return others.sort((a, b) => b.weight - a.weight)[0]?.revisionName;
}

/** Whether a revision's commit is `commit`: equal, or one a prefix of the other (a suffix holds 7 hex), 7 hex at least. */
function sameCommit(known: string | undefined, commit: string): boolean {
  if (!known) return false;
  const [a, b] = [known.toLowerCase(), commit.toLowerCase()];
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short.length >= 7 && long.startsWith(short);
}

/** The split with `latestRevision` entries named, so later revisions cannot take their traffic. */
function pin(traffic: TrafficWeight[], app: AppState): TrafficWeight[] {
  return traffic.map((entry) => {
    if (!entry.latestRevision) return { ...entry };
    const { latestRevision: _latest, ...rest } = entry;
    return { ...rest, revisionName: app.latestRevisionName as string };
  });
}

function withoutLabel(traffic: TrafficWeight[], label: string): TrafficWeight[] {
  return traffic.map(({ label: own, ...entry }) => (own === label ? entry : { ...entry, ...(own ? { label: own } : {}) }));
}

/** The entries' weights scaled to add up to `total`, rounding handed to the largest. */
function scaled(traffic: TrafficWeight[], total: number): TrafficWeight[] {
  const sum = traffic.reduce((acc, entry) => acc + entry.weight, 0) || 1;
  const result = traffic.map((entry) => ({ ...entry, weight: Math.floor((entry.weight * total) / sum) }));
  const largest = result.reduce((best, entry) => (entry.weight > best.weight ? entry : best), result[0] as TrafficWeight);
  if (largest) largest.weight += total - result.reduce((acc, entry) => acc + entry.weight, 0);
  return result.filter((entry) => entry.weight > 0 || entry.label !== undefined);
}

function describe(traffic: TrafficWeight[]): string {
  return traffic.map((entry) => `${entry.revisionName ?? 'latest'} ${entry.weight}%${entry.label ? ` (${entry.label})` : ''}`).join(', ');
}
