import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startSandbox } from '../../../sandbox/index.js';
import type { Command } from '../command.js';
import { migrateSecretsCommand } from './migrate-secrets.js';
import { planCommand } from './plan.js';

const usage = `Usage: azure-hipaa demo

Shows what the project does without an Azure account:
  1. renders the example environment (examples/azure-hipaa.yml, with its sample BAA evidence)
     and prints the HIPAA gate's verdict;
  2. starts the local Azure sandbox, seeds a development Key Vault with the ten secrets a voice
     agent needs (made-up values), migrates them in memory to the production vault, prints the
     summary, and stops the sandbox.`;

/** The secrets the migration guide moves ("repeat for all 10 secrets"). */
const VOICE_AGENT_SECRETS = [
  'AzureOpenAIKey',
  'AzureOpenAIEndpoint',
  'AzureSpeechKey',
  'AzureSpeechRegion',
  'AzureSearchKey',
  'AzureSearchEndpoint',
  'TwilioAccountSid',
  'TwilioAuthToken',
  'CosmosDatabaseName',
  'SqlDatabaseName',
];

export const demoCommand: Command = {
  name: 'demo',
  summary: 'plan and judge the example environment, then migrate secrets in a local sandbox',
  usage,
  async run(context) {
    context.stdout('== 1. Plan: the example environment, rendered and judged by the HIPAA gate\n\n');
    const planExit = await planCommand.run({ ...context, args: ['--config', join('examples', 'azure-hipaa.yml')] });

    context.stdout('\n== 2. Migrate secrets: development vault to production vault, in a local Azure sandbox\n\n');
    const sandbox = await startSandbox({ vaults: ['seniorly-secrets', 'seniorly-prod-secrets'] });
    try {
      const development = sandbox.server.keyVaults.vaults.get('seniorly-secrets');
      // Made-up values, generated fresh: the demo never shows them.
      for (const name of VOICE_AGENT_SECRETS)
        development?.put(name, { value: `demo-${randomBytes(12).toString('hex')}`, enabled: true, contentType: 'text/plain' });
      context.stdout(`Seeded ${VOICE_AGENT_SECRETS.length} secrets into seniorly-secrets (the development vault).\n\n`);
      const migrateExit = await migrateSecretsCommand.run({
        ...context,
        args: ['--source', 'seniorly-secrets', '--target', 'seniorly-prod-secrets'],
        env: { ...context.env, ...sandbox.env },
      });
      return Math.max(planExit, migrateExit);
    } finally {
      await sandbox.stop();
      context.stdout('\nSandbox stopped.\n');
    }
  },
};
