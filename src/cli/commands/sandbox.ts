import { parseArgs } from 'node:util';
import { ConfigurationError, errorMessage } from '../../core/errors.js';
import { startSandbox } from '../../../sandbox/index.js';
import type { Command } from '../command.js';

const usage = `Usage: azure-hipaa sandbox up --vaults a,b [--latency-ms N] [--faults 429:0.05,503:0.02,reset:0.01] [--seed N] [--time-scale F]

Runs a local Azure (Entra ID token endpoint, Key Vault, Resource Manager) on 127.0.0.1 over HTTPS
until SIGTERM or SIGINT. --time-scale multiplies real Azure provisioning times (default 0.001). Once ready it prints one JSON line: {"env": {...}, "adminUrl": "...", "caCert": "..."}.
Export "env" to point the actions, the CLI and the Azure SDKs at it.`;

const FAULT_KINDS: Record<string, 'throttle' | 'unavailable' | 'reset'> = { '429': 'throttle', '503': 'unavailable', reset: 'reset' };

/** `429:0.05,503:0.02,reset:0.01` as fault rates. */
export function parseFaults(text: string): { throttle?: number; unavailable?: number; reset?: number } {
  const faults: Record<string, number> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const [kind, rate] = part.split(':');
    const key = FAULT_KINDS[kind ?? ''];
    const value = Number(rate);
    if (!key || !(value >= 0 && value <= 1))
      throw new ConfigurationError(`--faults "${part}" is not KIND:RATE with KIND 429, 503 or reset and RATE from 0 to 1.`);
    faults[key] = value;
  }
  return faults;
}

function nonNegative(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new ConfigurationError(`${flag} must be a non-negative number, not "${text}".`);
  return value;
}

export const sandboxCommand: Command = {
  name: 'sandbox',
  summary: 'run a local Azure (Entra ID, Key Vault, Resource Manager) for tests and the demo',
  usage,
  async run({ args, stdout, stderr }) {
    const [subcommand, ...rest] = args;
    if (subcommand !== 'up') throw new ConfigurationError(`Unknown sandbox subcommand "${subcommand ?? ''}".\n\n${usage}`);
    let values: { vaults?: string; 'latency-ms'?: string; faults?: string; seed?: string; 'token-ttl'?: string; 'time-scale'?: string };
    try {
      ({ values } = parseArgs({
        args: rest,
        options: {
          vaults: { type: 'string' },
          'latency-ms': { type: 'string' },
          faults: { type: 'string' },
          seed: { type: 'string' },
          'token-ttl': { type: 'string' },
          'time-scale': { type: 'string' },
        },
        strict: true,
      }));
    } catch (error) {
      throw new ConfigurationError(`${errorMessage(error)}\n\n${usage}`);
    }
    const latencyMs = values['latency-ms'] === undefined ? 15 : nonNegative('--latency-ms', values['latency-ms']);
    const sandbox = await startSandbox({
      vaults: (values.vaults ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
      latencyMs,
      ...(values.faults ? { faults: parseFaults(values.faults) } : {}),
      ...(values.seed ? { seed: nonNegative('--seed', values.seed) } : {}),
      ...(values['token-ttl'] ? { tokenTtlSeconds: nonNegative('--token-ttl', values['token-ttl']) } : {}),
      ...(values['time-scale'] ? { armTimeScale: nonNegative('--time-scale', values['time-scale']) } : {}),
    });
    stdout(`${JSON.stringify({ env: sandbox.env, adminUrl: sandbox.adminUrl, caCert: sandbox.caCert })}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await sandbox.stop();
    stderr('sandbox stopped\n');
    return 0;
  },
};
