import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError, errorMessage } from '../../core/errors.js';
import { armPort } from '../../azure/arm.js';
import { signedInPrincipal } from '../../azure/credential.js';
import { subscriptionOf } from '../../azure/subscription.js';
import { provision } from '../../provision/provision.js';
import { resolveProvisionOptions } from '../../provision/request.js';
import type { Command } from '../command.js';

const usage = `Usage: azure-hipaa provision [--config F] [--subscription ID] [--mode what-if|deploy] [--gate block|warn] [--what-if-file F]

Deploys the environment the config describes as one incremental ARM deployment, after the HIPAA
gate passes on its template. --mode what-if (the default) only previews the changes.
Exit codes: 0 done, 1 the gate blocked or the deployment failed, 2 bad input.

  --config F         the environment config (default azure-hipaa.yml, else the built-in defaults)
  --subscription ID  the subscription (default AZURE_SUBSCRIPTION_ID)
  --mode M           what-if (change nothing) or deploy (validate, then deploy)
  --gate G           block (default): refuse to deploy a non-compliant environment; warn: deploy anyway
  --what-if-file F   also write the what-if changes as JSON to F`;

export const provisionCommand: Command = {
  name: 'provision',
  summary: 'preview or deploy the environment from the config (ARM what-if, validate, deploy)',
  usage,
  async run({ args, cwd, env, logger, stdout }) {
    const values = parseOptions(args);
    const options = resolveProvisionOptions(
      { config: values.config, subscriptionId: values.subscription, mode: values.mode, gate: values.gate },
      { mode: '--mode', gate: '--gate' },
    );
    const arm = armPort(env, subscriptionOf(options.subscriptionId, env, '--subscription'));
    const principal = await signedInPrincipal(env);
    const result = await provision(
      {
        cwd,
        logger,
        mode: options.mode,
        gate: options.gate,
        ...(options.config ? { config: options.config } : {}),
        ...(principal ? { deployPrincipalId: principal } : {}),
      },
      { arm },
    );
    if (values['what-if-file']) {
      try {
        await writeFile(resolve(cwd, values['what-if-file']), `${JSON.stringify(result.changes, null, 2)}\n`);
      } catch (error) {
        throw new ConfigurationError(
          `Cannot write the what-if changes to ${values['what-if-file']}: ${errorMessage(error)}. Check --what-if-file.`,
        );
      }
    }
    if (result.status === 'blocked') {
      logger.error(
        options.mode === 'deploy'
          ? 'Not deployed: the HIPAA gate rejects this environment. Fix the findings above, or pass --gate warn to deploy anyway.'
          : 'Preview only, blocked by the HIPAA gate: it rejects this environment. Fix the findings above, or pass --gate warn to preview it anyway.',
      );
      return 1;
    }
    stdout(`${JSON.stringify({ status: result.status, changes: result.changeCount, outputs: result.outputs })}\n`);
    return 0;
  },
};

function parseOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        config: { type: 'string' },
        subscription: { type: 'string' },
        mode: { type: 'string' },
        gate: { type: 'string' },
        'what-if-file': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new ConfigurationError(`${errorMessage(error)}\n\n${usage}`);
  }
}
