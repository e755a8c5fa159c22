import type { Command } from '../command.js';
import { demoCommand } from './demo.js';
import { e2eCommand } from './e2e.js';
import { gateCommand } from './gate.js';
import { githubRunnersCommand } from './github-runners.js';
import { migrateSecretsCommand } from './migrate-secrets.js';
import { planCommand } from './plan.js';
import { provisionCommand } from './provision.js';
import { rehearseCommand } from './rehearse.js';
import { sandboxCommand } from './sandbox.js';
import { smokeWebhookCommand } from './smoke-webhook.js';
import { switchWebhookCommand } from './switch-webhook.js';

/** Every CLI command, in the order `azure-hipaa --help` lists them. */
export const commands: Command[] = [
  planCommand,
  gateCommand,
  provisionCommand,
  migrateSecretsCommand,
  smokeWebhookCommand,
  switchWebhookCommand,
  githubRunnersCommand,
  sandboxCommand,
  rehearseCommand,
  demoCommand,
  e2eCommand,
];
