import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError } from '../core/errors.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { baaEvidenceOf, gatePolicyOf } from '../config/gate-policy.js';
import { renderEnvironment } from '../template/render.js';
import type { ArmTemplate } from '../template/arm-types.js';
import { readLocatedDocument } from '../core/located-document.js';
import { resolveTemplate } from './arm/template.js';
import { addDrift } from './drift.js';
import { evaluate, type PropertyRead } from './evaluate.js';
import { readLiveEnvironment } from './live.js';
import { loadWaivers, type WaiverProblem } from './waivers.js';
import { DEFAULT_GATE_POLICY, type Finding, type GatePolicy, type GateReport, type JudgedEnvironment, type Waiver } from './model.js';

/** What to judge. Paths are relative to `cwd`. */
export interface GateRequest {
  cwd: string;
  /** The environment config; without `template`, `azure-hipaa.yml` or the built-in defaults. With `template`, only its policy, BAA evidence and waivers are used. */
  config?: string;
  template?: string;
  parameters?: string;
  /** Overrides the config's `waivers` entry. */
  waivers?: string;
  /** Overrides the policy's blocking rules (the action's `fail-on`). */
  blocking?: Pick<GatePolicy, 'advisoryBlocks' | 'unknownBlocks'>;
  now?: Date;
  /**
   * Judge the live resources of a resource group instead of a plan. With `config`, findings also
   * show drift: where the live value differs from the planned one.
   */
  live?: { subscriptionId: string; resourceGroup?: string; env: NodeJS.ProcessEnv };
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

/** Reads the input, judges it, and returns the report. Throws ConfigurationError on bad input. */
export async function runGate(request: GateRequest): Promise<GateRun> {
  const now = request.now ?? new Date();
  const loaded = request.template && !request.config ? undefined : await loadConfig(request.config, { cwd: request.cwd });
  const policy: GatePolicy = { ...(loaded ? gatePolicyOf(loaded.config) : DEFAULT_GATE_POLICY), ...request.blocking };
  const baa = loaded ? baaEvidenceOf(loaded.config, loaded.baseDir) : undefined;

  let environment: JudgedEnvironment;
  let template: ArmTemplate | undefined;
  let planned: JudgedEnvironment | undefined;
  if (request.live) {
    const config = (loaded as LoadedConfig).config;
    const resourceGroup = request.live.resourceGroup ?? config.resourceGroup;
    environment = await readLiveEnvironment({ subscriptionId: request.live.subscriptionId, resourceGroup, env: request.live.env });
    if (request.config && loaded) {
      const rendered = renderEnvironment(config).template;
      planned = resolveTemplate(rendered, {
        source: { file: loaded.source, value: rendered },
        subscriptionId: request.live.subscriptionId,
        resourceGroup,
        location: config.region,
      });
    }
  } else if (request.template) {
    const document = await readLocatedDocument(resolve(request.cwd, request.template), request.template);
    const parameters = request.parameters
      ? (await readLocatedDocument(resolve(request.cwd, request.parameters), request.parameters)).value
      : undefined;
    environment = resolveTemplate(document.value, {
      source: document,
      ...(parameters !== undefined ? { parameters: parameters as Record<string, unknown> } : {}),
    });
  } else {
    const config = loaded as LoadedConfig;
    const rendered = renderEnvironment(config.config);
    template = rendered.template;
    environment = resolveTemplate(template, {
      source: { file: config.source, value: template },
      resourceGroup: config.config.resourceGroup,
      location: config.config.region,
    });
    environment.input = { kind: 'config', source: config.source };
    // Findings on a rendered resource point at the config section that produced it.
    if (config.locate) {
      const locateInConfig = config.locate;
      for (const resource of environment.resources) {
        const origin = rendered.configPathOf(resource.type, resource.name);
        if (origin) resource.locate = () => locateInConfig(origin);
        else delete resource.locate;
      }
    } else {
      for (const resource of environment.resources) delete resource.locate;
    }
  }

  const waiversPath =
    request.waivers ?? (loaded?.config.waivers !== undefined ? resolveFrom(loaded.baseDir, loaded.config.waivers) : undefined);
  let waivers: Waiver[] = [];
  let waiverProblems: WaiverProblem[] = [];
  if (waiversPath) ({ waivers, problems: waiverProblems } = await loadWaivers(resolveFrom(request.cwd, waiversPath), waiversPath));

  const reads = planned ? new WeakMap<Finding, PropertyRead[]>() : undefined;
  const report = evaluate(environment, { policy, waivers, waiverProblems, ...(baa ? { baa } : {}), now, ...(reads ? { reads } : {}) });
  if (planned && reads) addDrift(report, reads, planned);
  return { report, policy, environment, ...(template ? { template } : {}), ...(loaded ? { configSource: loaded.source } : {}) };
}

function resolveFrom(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

/**
 * The action's `fail-on` (the CLI's `--fail-on`): `required,unknown,advisory` or `never`. Failed
 * required controls always block unless `never`; the list adds unknown and advisory findings.
 */
export function parseFailOn(value: string): { never: boolean; policy: { advisoryBlocks: boolean; unknownBlocks: boolean } } {
  const kinds = value
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const allowed = ['required', 'unknown', 'advisory', 'never'];
  const bad = kinds.filter((k) => !allowed.includes(k));
  if (kinds.length === 0 || bad.length > 0 || (kinds.includes('never') && kinds.length > 1)) {
    throw new ConfigurationError(
      `fail-on "${value}" is not valid; use a comma-separated list of required, unknown, advisory, or just never.`,
    );
  }
  return {
    never: kinds.includes('never'),
    policy: { advisoryBlocks: kinds.includes('advisory'), unknownBlocks: kinds.includes('unknown') },
  };
}
