/**
 * The rollout of an image as a new Container Apps revision: created at zero traffic with the label
 * `candidate`, proven healthy (Azure's revision states, then consecutive 2xx probes of its own
 * address), judged by the live HIPAA gate, then given traffic step by step; any failure, or a
 * cancelled job, puts traffic back to the exact split it found and deactivates the new revision.
 * Every step and its undo sit side by side here, so a reviewer can check that each change to
 * traffic has its way back; how Azure takes each change (locks, long-running operations, revision
 * states) is container-apps.ts.
 */
import { createHttpHeaders, createPipelineRequest, type HttpClient } from '@azure/core-rest-pipeline';
import type { ArmPort } from '../azure/arm-port.js';
import { azureMonitorReader } from '../azure/monitor.js';
import { azureHttpClient } from '../azure/credential.js';
import { findingGroups, resourceNames, someOf } from '../compliance/report/groups.js';
import { renderVerdictLine } from '../compliance/report/markdown.js';
import { renderText } from '../compliance/report/text.js';
import { configOf, type LoadedConfig } from '../config/load.js';
import { PLACEHOLDER_IMAGE } from '../config/schema.js';
import { ConfigurationError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { runGate } from '../gate/gate.js';
import { analyseStep, type AnalysisSettings, type CheckRecord, type WindowReader } from './canary.js';
import { COMMIT_ENV, ContainerApp, type AppState, type PatchOutcome, type RevisionState, type TrafficWeight } from './container-apps.js';

/** The traffic split's entries, as RolloutResult gives them. */
export type { TrafficWeight } from './container-apps.js';

/** The parts of a deploy a workflow may run on its own: all, or the candidate, its promotion, or a rollback. */
export const rolloutStages = ['all', 'candidate', 'promote', 'rollback'] as const;
export type RolloutStage = (typeof rolloutStages)[number];
/** Whether the live HIPAA gate judges the resource group before traffic moves. */
export const rolloutGates = ['live', 'none'] as const;

export interface RolloutRequest {
  cwd: string;
  config?: string;
  /** The config as the caller's edge loaded it: not read again, by the rollout or its live gate. */
  loaded?: LoadedConfig;
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
  gate: (typeof rolloutGates)[number];
  /** Percentages of traffic the new revision gets, in order, ending at 100. */
  trafficSteps: number[];
  /** How long the app's own address is probed after each step but the last. */
  stepWaitSeconds: number;
  /** Canary analysis after each step but the last (src/deploy/canary.ts); none when absent. */
  analysis?: AnalysisSettings;
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
  /** Each revision's traffic for the analysis; by default Azure Monitor's metrics and the environment's HTTP logs. */
  monitor?: WindowReader;
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
  /** The canary analysis's checks, per step: each revision's requests, 5xx and p95. */
  analysis?: CheckRecord[];
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

export async function rollout(request: RolloutRequest, ports: RolloutPorts): Promise<RolloutResult> {
  const loaded = await configOf(request);
  const { config } = loaded;
  const { name, healthPath, targetPort } = config.containerApp;
  const containerApp = new ContainerApp(ports.arm, config.resourceGroup, name, {
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.pollIntervalMs !== undefined ? { pollIntervalMs: request.pollIntervalMs } : {}),
    ...(request.cancelGraceMs !== undefined ? { cancelGraceMs: request.cancelGraceMs } : {}),
  });
  return new Rollout({ ...request, loaded }, ports, containerApp, healthPath, targetPort, config.logAnalytics.name).run();
}

class Rollout {
  private readonly started = Date.now();
  private readonly timeline: TimelineEntry[] = [];
  private readonly http: HttpClient;
  private readonly resourceGroup: string;
  private readonly appName: string;
  private readonly checks: CheckRecord[] = [];

  constructor(
    private readonly request: RolloutRequest,
    private readonly ports: RolloutPorts,
    private readonly containerApp: ContainerApp,
    private readonly healthPath: string,
    private readonly targetPort: number,
    /** The environment's Log Analytics workspace, where its HTTP logs go. */
    private readonly workspace: string,
  ) {
    this.http = ports.http ?? azureHttpClient(request.env);
    this.resourceGroup = containerApp.resourceGroup;
    this.appName = containerApp.name;
  }

  async run(): Promise<RolloutResult> {
    const app = await this.containerApp.read();
    if (this.request.stage === 'rollback') return this.rollbackStage(app);
    if (this.request.stage === 'promote') return this.promoteStage(app);
    if (!this.request.image) throw new ConfigurationError('No image to deploy: build one here, or give the image input.');
    const revisions = await this.containerApp.revisions();
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
        await this.containerApp.patch({ configuration: { activeRevisionsMode: 'Multiple', ingress: { traffic: previous } } });
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
      await this.containerApp.patch({
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
        return this.result(app, candidate, previousRevision, (await this.containerApp.read()).traffic);
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
    const revisions = await this.containerApp.revisions();
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
    const revisions = await this.containerApp.revisions();
    if (!revisions.find((revision) => revision.name === target)?.active) await this.containerApp.activate(target);
    await this.waitHealthy(target);
    const traffic: TrafficWeight[] = [{ revisionName: target, weight: 100 }];
    await this.containerApp.setTraffic(traffic);
    this.log(`Rolled back: ${target} serves 100%.`);
    if (current && current !== target) await this.containerApp.deactivate(current);
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
    const revisions = await this.containerApp.revisions();
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
      await this.containerApp.setTraffic(traffic);
      const others = traffic.filter((entry) => entry.revisionName !== candidate && entry.weight > 0);
      this.log(
        `Traffic: ${[{ revisionName: candidate, weight: percent }, ...others].map((entry) => `${entry.revisionName} ${entry.weight}%`).join(', ')}.`,
      );
      const shiftedAt = Date.now();
      // Behind the edge the app's public address is the edge's: that is what callers reach.
      const address = this.request.edgeHost ?? `${this.appName}.${app.domain}`;
      if (!last) await this.probe(`https://${address}${this.healthPath}`, 0, `${percent}%`);
      // A failed analysis is a failed step: thrown like a failed probe, so traffic goes back the same way.
      if (!last && this.request.analysis) await this.analyse(this.request.analysis, percent, shiftedAt, candidate, previousRevision);
    }
    return traffic;
  }

  /** Judges the step from the candidate's own traffic against the previous revision's (src/deploy/canary.ts). */
  private async analyse(
    settings: AnalysisSettings,
    percent: number,
    shiftedAt: number,
    candidate: string,
    baseline: string | undefined,
  ): Promise<void> {
    const reader =
      this.ports.monitor ??
      azureMonitorReader(this.ports.arm, this.request.env, {
        appId: this.containerApp.path,
        app: this.appName,
        workspace: { resourceGroup: this.resourceGroup, name: this.workspace },
      });
    const decision = await analyseStep({
      reader,
      settings,
      step: percent,
      shiftedAt,
      candidate,
      ...(baseline ? { baseline } : {}),
      now: () => Date.now(),
      sleep: async (ms) => {
        await this.containerApp.sleep(ms);
        this.containerApp.throwIfCancelled();
      },
      log: (line) => this.log(line),
      checks: this.checks,
    });
    if (decision.kind === 'fail') throw new Error(`Canary analysis at ${percent}% failed: ${decision.reason}`);
  }

  /** Deactivates active revisions beyond keep-revisions, never the new or the previous one. */
  private async retire(candidate: string, previous: string | undefined): Promise<void> {
    const active = (await this.containerApp.revisions()).filter(
      (revision) => revision.active && revision.name !== candidate && revision.name !== previous,
    );
    const room = Math.max(0, this.request.keepRevisions - (previous ? 2 : 1));
    const sorted = active.sort((a, b) => String(b.createdTime).localeCompare(String(a.createdTime)));
    for (const revision of sorted.slice(room)) {
      await this.containerApp.deactivate(revision.name);
      this.log(`Deactivated ${revision.name} (keep-revisions ${this.request.keepRevisions}).`);
    }
  }

  private async judge(): Promise<string | undefined> {
    if (this.request.gate === 'none') return undefined;
    const run = await runGate({
      cwd: this.request.cwd,
      ...(this.request.config ? { config: this.request.config } : {}),
      ...(this.request.loaded ? { loaded: this.request.loaded } : {}),
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
      this.containerApp.throwIfCancelled();
      const revision = await this.containerApp.revision(name);
      if (!revision) throw new Error(`Revision ${name} does not exist: Azure did not create it.`);
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
      await this.containerApp.sleep(this.containerApp.pollMs);
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
      if (read < this.request.probeCount) await this.containerApp.sleep(this.containerApp.pollMs);
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
      this.containerApp.throwIfCancelled();
      const status = await this.get(url);
      // A probe the cancel cut short says nothing about the app: the run was cancelled.
      this.containerApp.throwIfCancelled();
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
      await this.containerApp.sleep(Math.max(0, Math.min(this.containerApp.pollMs, 1000, deadline - Date.now())));
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
      const accepted = await this.containerApp.submit({ configuration: { ingress: { traffic: previous } } }, true);
      // Cancelled, the runner ends the step within seconds: the candidate goes before the restore's operation is waited out.
      if (this.containerApp.cancelledAt !== undefined) deactivated = await this.deactivateCandidate(candidate);
      outcome = await this.containerApp.wait(accepted, true);
      if (this.containerApp.cancelledAt === undefined) deactivated = await this.deactivateCandidate(candidate);
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
          : `Traffic could not be restored${this.containerApp.cancelledAt !== undefined ? ' before the cancelled job had to stop' : ''}: it may still be split. Put traffic back to ${JSON.stringify(previous)} (configuration.ingress.traffic of ${this.appName}).`;
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
      if (!(await this.containerApp.revisions()).some((revision) => revision.name === candidate && revision.active)) return false;
      await this.containerApp.deactivate(candidate);
      return true;
    } catch (deactivateError) {
      this.log(`${candidate} could not be deactivated (it gets no traffic): ${errorMessage(deactivateError)}`);
      return false;
    }
  }

  // ---------------------------------------------------------------- helpers

  /** The one active revision with all the traffic, if there is one. */
  private servingAll(app: AppState, revisions: RevisionState[]): RevisionState | undefined {
    const full = pin(app.traffic, app).find((entry) => entry.weight === 100);
    return revisions.find((revision) => revision.name === full?.revisionName && revision.active);
  }

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
      ...(this.checks.length > 0 ? { analysis: this.checks } : {}),
    };
  }

  private log(event: string): void {
    this.timeline.push({ at: (Date.now() - this.started) / 1000, event });
    this.request.logger.info(event);
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
