import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBusyboxApp } from '../../../sandbox/busybox-app.js';
import type { Command } from '../command.js';
import { rehearse } from './rehearse.js';

const usage = `Usage: azure-hipaa demo

The whole migration, rehearsed in a local Azure sandbox with no Azure account: the example
environment (examples/azure-hipaa.yml, with its sample BAA evidence) planned and judged,
provisioned, the voice agent's ten secrets migrated from the development vault (made-up values,
never shown), a tiny app image built and pushed, deployed over the placeholder, then deployed as
the next push is (a candidate revision judged by the live gate, promoted at 10, 50 and 100%), a
staging environment deployed and exactly its digest promoted to production, and the phone number's
webhook switched; then a table of what happened. \`azure-hipaa rehearse\` does the same with your own config and Dockerfile.`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'rehearse the whole migration on the example environment in a local sandbox',
  usage,
  async run(context) {
    // A workspace of its own: the example config and its BAA evidence, and the app built beside them.
    const workspace = await mkdtemp(join(tmpdir(), 'azure-hipaa-demo-'));
    try {
      const examples = resolve(context.cwd, 'examples');
      await mkdir(join(workspace, 'compliance'));
      await copyFile(join(examples, 'azure-hipaa.yml'), join(workspace, 'azure-hipaa.yml'));
      await copyFile(join(examples, 'azure-hipaa.staging.yml'), join(workspace, 'azure-hipaa.staging.yml'));
      await copyFile(join(examples, 'compliance', 'azure-baa-sample.txt'), join(workspace, 'compliance', 'azure-baa-sample.txt'));
      // As a team's repository should: a security reviewer owns the gate's policy and evidence.
      await mkdir(join(workspace, '.github'));
      await writeFile(
        join(workspace, '.github', 'CODEOWNERS'),
        '/azure-hipaa.yml @example-org/security\n/compliance/ @example-org/security\n',
      );
      return await rehearse(
        {
          cwd: workspace,
          config: 'azure-hipaa.yml',
          context: async (dir) => {
            await writeBusyboxApp(join(dir, 'app'), 'ok\n');
            return 'app';
          },
          dockerfile: 'Dockerfile',
          devVault: 'seniorly-secrets',
          stagingConfig: 'azure-hipaa.staging.yml',
          imagePackages: ['busybox-static'],
        },
        context,
      );
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  },
};
