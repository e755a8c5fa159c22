import { choice } from '../core/choice.js';

export type ProvisionMode = 'what-if' | 'deploy';
export type GateMode = 'block' | 'warn';

/** Provision's options as the CLI and the action receive them. */
export interface RawProvisionOptions {
  config?: string | undefined;
  subscriptionId?: string | undefined;
  mode?: string | undefined;
  gate?: string | undefined;
}

export interface ResolvedProvisionOptions {
  config?: string;
  subscriptionId?: string;
  mode: ProvisionMode;
  gate: GateMode;
}

/** Checks provision's options once, for the CLI (`--mode`) and the action (`Input "mode"`) alike. */
export function resolveProvisionOptions(raw: RawProvisionOptions, names: { mode: string; gate: string }): ResolvedProvisionOptions {
  return {
    ...(raw.config ? { config: raw.config } : {}),
    ...(raw.subscriptionId ? { subscriptionId: raw.subscriptionId } : {}),
    mode: choice(names.mode, raw.mode, ['what-if', 'deploy'], 'what-if'),
    gate: choice(names.gate, raw.gate, ['block', 'warn'], 'block'),
  };
}
