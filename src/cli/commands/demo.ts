import { join } from 'node:path';
import type { Command } from '../command.js';
import { planCommand } from './plan.js';

const usage = `Usage: azure-hipaa demo

Shows what the project does without an Azure account: renders the example environment
(examples/azure-hipaa.yml, with its sample BAA evidence) and prints the HIPAA gate's verdict.`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'render and judge the example environment (no Azure account needed)',
  usage,
  async run(context) {
    const exampleConfig = join('examples', 'azure-hipaa.yml');
    context.stdout('== 1. Plan: the example environment, rendered and judged by the HIPAA gate\n\n');
    return planCommand.run({ ...context, args: ['--config', exampleConfig] });
  },
};
