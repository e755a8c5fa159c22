/**
 * src/gate is the gate's application layer: it loads the config, waivers and BAA evidence
 * (judging.ts), renders the config or reads a template or the live resource group (live.ts), has
 * src/compliance judge it, and adds drift. The CLI and the hipaa-gate action share request.ts.
 */
import { resolve } from 'node:path';
import { resolveTemplate } from '../arm/resolve.js';
import { addDrift } from '../compliance/drift.js';
import { evaluate, verdictOf, type PropertyRead } from '../compliance/evaluate.js';
import type { JudgedEnvironment, JudgedResource } from '../arm/deployed.js';
import type { Finding, GatePolicy, GateReport } from '../compliance/model.js';
import { configOf, type LoadedConfig } from '../config/load.js';
import { readLocatedDocument } from '../core/located-document.js';
import type { ArmTemplate } from '../template/arm-types.js';
import { renderEnvironment, type RenderedEnvironment } from '../template/render.js';
import { loadJudgingInputs, type JudgingInputs } from './judging.js';
import { readLiveEnvironment } from './live.js';
import { readPolicyFindings } from './policy-states.js';
import { reviewPolicyInputs } from './policy-review.js';
import type { ArmPort } from '../azure/arm-port.js';
import type { JsonPath, SourceLocation } from '../core/json-path.js';
import type { DeploymentTarget } from './request.js';

/** What to judge. Paths are relative to `cwd`, the repository; files are read only inside it. */
export interface GateRequest {
  cwd: string;
  /** The environment config; without `template`, `azure-hipaa.yml` or the built-in defaults. With `template`, only its policy, BAA evidence and waivers are used. */
  config?: string;
  /** The config as the caller already loaded it (a deploy reads it once); `config` still says whether one was named. */
  loaded?: LoadedConfig;
  template?: string;
  parameters?: string;
  /** Overrides the config's `waivers` entry. */
  waivers?: string;
  /** Overrides the policy's blocking rules (the action's `fail-on`). */
  blocking?: Pick<GatePolicy, 'advisoryBlocks' | 'unknownBlocks'>;
  now?: Date;
  /** The pull request's base commit: what the change loosens in the policy and waivers against it leads the report. */
  baseRef?: string;
  /**
   * Judge the live resources of a resource group, read through `arm`, instead of a plan. With
   * `config`, findings also show drift: where the live value differs from the planned one.
   */
  live?: { arm: ArmPort; resourceGroup?: string };
  /**
   * Where a planned deployment goes (the subscription, resource group and location): what
   * resourceGroup(), subscription() and their location evaluate to. Not given, they are unknown
   * (a config names its own resource group and region).
   */
  target?: DeploymentTarget;
}

export interface GateRun {
  report: GateReport;
  policy: GatePolicy;
  environment: JudgedEnvironment;
  /** The template rendered from the config, in config mode. */
  template?: ArmTemplate;
  /** Where the config came from: a file or `defaults`; absent when no config was involved. */
  configSource?: string;
}

/** The cloud this project deploys to: Resource Manager at management.azure.com (environment() is known there). */
export const AZURE_CLOUD = 'AzureCloud';

/** Reads the input, judges it, and returns the report. Throws ConfigurationError on bad input. */
export async function runGate(request: GateRequest): Promise<GateRun> {
  const now = request.now ?? new Date();
  const loaded = request.template && !request.config ? undefined : await configOf(request);
  const judging = await loadJudgingInputs(loaded, request);
  const run = await judgeInput(request, loaded, judging, now);
  const notes = await reviewPolicyInputs(
    {
      cwd: request.cwd,
      ...(loaded && loaded.source !== 'defaults' ? { configFile: resolve(request.cwd, loaded.source) } : {}),
      ...(judging.waiversFile ? { waiversFile: judging.waiversFile } : {}),
      ...(request.baseRef ? { baseRef: request.baseRef } : {}),
    },
    judging.policy,
    judging.waivers,
    judging.abuseMonitoring,
  );
  if (notes.length > 0) run.report.notes = notes;
  locateBaaEvidence(run.report, loaded);
  return run;
}

async function judgeInput(request: GateRequest, loaded: LoadedConfig | undefined, judging: JudgingInputs, now: Date): Promise<GateRun> {
  const configSource = loaded ? { configSource: loaded.source } : {};

  if (request.live) {
    const config = (loaded as LoadedConfig).config;
    const resourceGroup = request.live.resourceGroup ?? config.resourceGroup;
    const environment = await readLiveEnvironment(request.live.arm, resourceGroup);
    // Azure Policy's own verdicts on the group, reported beside the gate's.
    const policyFindings = await readPolicyFindings(request.live.arm, resourceGroup);
    if (!request.config || !loaded)
      return { ...withPolicyFindings(judge(environment, judging, now), policyFindings), environment, ...configSource };
    const rendered = renderEnvironment(config).template;
    const planned = resolveTemplate(rendered, {
      source: { file: loaded.source, value: rendered },
      subscriptionId: request.live.arm.subscriptionId,
      resourceGroup,
      location: config.region,
      cloud: AZURE_CLOUD,
    });
    const reads = new WeakMap<Finding, PropertyRead[]>();
    const run = withPolicyFindings(judge(environment, judging, now, reads), policyFindings);
    addDrift(run.report, reads, planned);
    return { ...run, environment, ...configSource };
  }

  if (request.template) {
    const document = await readLocatedDocument(resolve(request.cwd, request.template), request.template);
    const parameters = request.parameters
      ? ((await readLocatedDocument(resolve(request.cwd, request.parameters), request.parameters)).value as Record<string, unknown>)
      : undefined;
    const environment = resolveTemplate(document.value, {
      source: document,
      ...(parameters !== undefined ? { parameters } : {}),
      ...request.target,
    });
    return { ...judge(environment, judging, now), environment, ...configSource };
  }

  const config = loaded as LoadedConfig;
  const rendered = renderEnvironment(config.config);
  return { ...judgeRendered(rendered, config, judging, now, request.target), template: rendered.template, ...configSource };
}

/**
 * Judges a template rendered from the config, exactly as it stands: provision judges the very
 * object it then deploys. Findings point at the config section that produced each resource.
 */
export function judgeRendered(
  rendered: RenderedEnvironment,
  loaded: LoadedConfig,
  judging: JudgingInputs,
  now: Date,
  target: DeploymentTarget & { deploymentName?: string; cloud?: string } = {},
): { report: GateReport; policy: GatePolicy; environment: JudgedEnvironment } {
  const { template } = rendered;
  // The config names its resource group and region; the subscription and the deployment are the caller's to give.
  const environment = resolveTemplate(template, {
    source: { file: loaded.source, value: template },
    resourceGroup: loaded.config.resourceGroup,
    location: loaded.config.region,
    ...target,
  });
  environment.input = { kind: 'config', source: loaded.source };
  if (rendered.subscriptionTemplate) environment.resources.push(...subscriptionResources(rendered, loaded, target));
  for (const resource of environment.resources) {
    const origin = rendered.configPathOf(resource.type, resource.name);
    if (origin && loaded.locate) resource.locate = (path) => configLocation(loaded, origin, path);
    else delete resource.locate;
  }
  const run = judge(environment, judging, now);
  locateBaaEvidence(run.report, loaded);
  return { ...run, environment };
}

/** The report with Azure Policy's findings added: the counts and the verdict count them too. */
function withPolicyFindings(
  run: { report: GateReport; policy: GatePolicy },
  findings: Finding[],
): { report: GateReport; policy: GatePolicy } {
  if (findings.length === 0) return run;
  const all = [...run.report.findings, ...findings];
  const count = (status: Finding['status']) => all.filter((finding) => finding.status === status).length;
  const report: GateReport = {
    ...run.report,
    verdict: verdictOf(all, run.policy),
    summary: {
      pass: count('pass'),
      fail: count('fail'),
      unknown: count('unknown'),
      waived: count('waived'),
      notApplicable: count('not-applicable'),
    },
    findings: all,
  };
  return { ...run, report };
}

/**
 * The subscription-scope deployment (Defender's plans) judged with the group's: provision deploys
 * both. Its resources are the subscription's, so their ids carry no resource group.
 */
function subscriptionResources(
  rendered: RenderedEnvironment,
  loaded: LoadedConfig,
  target: DeploymentTarget & { deploymentName?: string; cloud?: string },
): JudgedResource[] {
  const template = rendered.subscriptionTemplate;
  if (!template) return [];
  const { resources } = resolveTemplate(template, {
    source: { file: loaded.source, value: template },
    location: loaded.config.region,
    ...target,
  });
  for (const resource of resources) resource.id = resource.id.replace(/\/resourceGroups\/[^/]+\/providers\//i, '/providers/');
  return resources;
}

/**
 * Where to change a finding in the config: the key the finding reads when the config names it
 * (`tags`, `keyVault.softDeleteRetentionInDays`), else the key of the section that made the resource.
 */
function configLocation(loaded: LoadedConfig, origin: JsonPath, path: JsonPath): SourceLocation | undefined {
  const keyAt = loaded.locateKey ?? (() => undefined);
  const inResource = path[0] === 'properties' ? path.slice(1) : path;
  // The config's tags go on every resource.
  const candidates: JsonPath[] = [
    ...(path[0] === 'tags' ? [['tags']] : []),
    ...(inResource.length > 0 ? [[...origin, ...inResource]] : []),
    origin,
  ];
  for (const candidate of candidates) {
    const at = keyAt(candidate);
    if (at) return at;
  }
  return loaded.locate?.(origin);
}

/** baa.evidence judges the config's `baa` block: it points there, or at the config when the block is missing. */
function locateBaaEvidence(report: GateReport, loaded: LoadedConfig | undefined): void {
  if (!loaded?.locate) return;
  const at = loaded.locateKey?.(['baa']) ?? loaded.locate([]);
  for (const finding of report.findings) if (finding.control === 'baa.evidence' && !finding.location) finding.location = at;
}

function judge(
  environment: JudgedEnvironment,
  judging: JudgingInputs,
  now: Date,
  reads?: WeakMap<Finding, PropertyRead[]>,
): { report: GateReport; policy: GatePolicy } {
  const { policy, waivers, waiverProblems, baa, abuseMonitoring } = judging;
  const report = evaluate(environment, {
    policy,
    waivers,
    waiverProblems,
    ...(baa ? { baa } : {}),
    ...(abuseMonitoring ? { abuseMonitoring } : {}),
    now,
    ...(reads ? { reads } : {}),
  });
  return { report, policy };
}
