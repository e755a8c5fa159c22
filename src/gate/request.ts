import { subscriptionOf } from '../azure/subscription.js';
import { ConfigurationError } from '../core/errors.js';
import type { GatePolicy } from '../compliance/model.js';

/** The gate's options as the CLI and the action receive them: strings and flags, unchecked. */
export interface RawGateOptions {
  config?: string | undefined;
  template?: string | undefined;
  parameters?: string | undefined;
  waivers?: string | undefined;
  failOn?: string | undefined;
  live?: boolean | undefined;
  subscriptionId?: string | undefined;
  resourceGroup?: string | undefined;
  /** The target location of a planned deployment (resourceGroup().location). */
  location?: string | undefined;
  baseRef?: string | undefined;
}

/** How each option is named to the user: `--config` on the command line, `Input "config"` in the action. */
export type GateOptionNames = Record<keyof RawGateOptions, string>;

export interface FailOn {
  /** Nothing blocks: the verdict is reported, the step passes. */
  never: boolean;
  policy: Pick<GatePolicy, 'advisoryBlocks' | 'unknownBlocks'>;
}

/** The gate's options, checked against each other once, for the CLI and the action alike. */
export interface ResolvedGateOptions {
  config?: string;
  template?: string;
  parameters?: string;
  waivers?: string;
  /** Undefined follows the config's gate policy. */
  failOn?: FailOn;
  live?: { subscriptionId: string; resourceGroup?: string };
  /** Where a planned deployment goes: what resourceGroup(), subscription() and their location are; unknown where not given. */
  target?: DeploymentTarget;
  baseRef?: string;
}

export interface DeploymentTarget {
  subscriptionId?: string;
  resourceGroup?: string;
  location?: string;
}

export function resolveGateOptions(raw: RawGateOptions, names: GateOptionNames, env: NodeJS.ProcessEnv): ResolvedGateOptions {
  if (raw.live && raw.template) {
    throw new ConfigurationError(`${names.live} judges the deployed resources and ${names.template} a file; give one of them.`);
  }
  if (raw.live && raw.location) {
    throw new ConfigurationError(`${names.location} is the target of a planned deployment; live mode reads where each resource is.`);
  }
  if (raw.parameters && !raw.template) {
    throw new ConfigurationError(`${names.parameters} was given without ${names.template}; a parameters file belongs to an ARM template.`);
  }
  return {
    ...(raw.config ? { config: raw.config } : {}),
    ...(raw.template ? { template: raw.template } : {}),
    ...(raw.parameters ? { parameters: raw.parameters } : {}),
    ...(raw.waivers ? { waivers: raw.waivers } : {}),
    ...(raw.failOn ? { failOn: parseFailOn(raw.failOn, names.failOn) } : {}),
    ...(raw.baseRef ? { baseRef: raw.baseRef } : {}),
    ...(!raw.live && (raw.subscriptionId || raw.resourceGroup || raw.location)
      ? {
          target: {
            ...(raw.subscriptionId ? { subscriptionId: raw.subscriptionId } : {}),
            ...(raw.resourceGroup ? { resourceGroup: raw.resourceGroup } : {}),
            ...(raw.location ? { location: raw.location } : {}),
          },
        }
      : {}),
    ...(raw.live
      ? {
          live: {
            subscriptionId: subscriptionOf(raw.subscriptionId, env, names.subscriptionId),
            ...(raw.resourceGroup ? { resourceGroup: raw.resourceGroup } : {}),
          },
        }
      : {}),
  };
}

/**
 * `fail-on`: `required,unknown,advisory` or `never`. Failed required controls always block
 * unless `never`; the list adds unknown and advisory findings.
 */
export function parseFailOn(value: string, what: string): FailOn {
  const kinds = value
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const allowed = ['required', 'unknown', 'advisory', 'never'];
  const bad = kinds.filter((k) => !allowed.includes(k));
  if (kinds.length === 0 || bad.length > 0 || (kinds.includes('never') && kinds.length > 1)) {
    throw new ConfigurationError(
      `${what} "${value}" is not valid; use a comma-separated list of required, unknown, advisory, or just never.`,
    );
  }
  return {
    never: kinds.includes('never'),
    policy: { advisoryBlocks: kinds.includes('advisory'), unknownBlocks: kinds.includes('unknown') },
  };
}
