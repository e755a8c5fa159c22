/**
 * What the four actions share (actions/shared): one table per action naming every input action.yml
 * declares, one reading of the runner's context, and a cancellation that ends a run whose core cannot
 * be stopped, the step failing as cancelled.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOY_INPUTS } from '../../actions/deploy-container/src/inputs.js';
import { GATE_INPUTS } from '../../actions/hipaa-gate/src/inputs.js';
import { MIGRATE_INPUTS } from '../../actions/migrate-secrets/src/inputs.js';
import { run as migrate } from '../../actions/migrate-secrets/src/run.js';
import { PROVISION_INPUTS } from '../../actions/provision/src/inputs.js';
import { run as provision } from '../../actions/provision/src/run.js';
import { runnerContext } from '../../actions/shared/context.js';
import { CANCELLED } from '../../actions/shared/run.js';
import type { VaultPort } from '../../src/azure/keyvault.js';
import { recordedIO } from '../helpers/action-io.js';
import { fakeArm } from '../helpers/fake-arm.js';
import { repoRoot } from '../helpers/run-action.js';

const declared = (action: string): string[] =>
  Object.keys((parse(readFileSync(join(repoRoot, 'actions', action, 'action.yml'), 'utf8')) as { inputs: object }).inputs);

describe('each action’s input table', () => {
  it.each([
    ['deploy-container', DEPLOY_INPUTS],
    ['hipaa-gate', GATE_INPUTS],
    ['migrate-secrets', MIGRATE_INPUTS],
    ['provision', PROVISION_INPUTS],
  ])('%s reads exactly the inputs its action.yml declares', (action, table) => {
    expect(Object.keys(table).sort()).toEqual(declared(action).sort());
  });
});

describe('the runner’s context', () => {
  it('gives the workspace, RUNNER_TEMP, the commit, the repository’s page and the run’s', () => {
    expect(
      runnerContext({
        GITHUB_WORKSPACE: '/home/runner/work/app/app',
        RUNNER_TEMP: '/home/runner/work/_temp',
        GITHUB_SHA: 'abc1234',
        GITHUB_SERVER_URL: 'https://ghe.example.com',
        GITHUB_REPOSITORY: 'example/voice-agent',
        GITHUB_RUN_ID: '42',
        GITHUB_API_URL: 'https://ghe.example.com/api/v3',
      }),
    ).toEqual({
      workspace: '/home/runner/work/app/app',
      runnerTemp: '/home/runner/work/_temp',
      fileRoots: ['/home/runner/work/app/app', '/home/runner/work/_temp'],
      commit: 'abc1234',
      repository: 'example/voice-agent',
      repositoryUrl: 'https://ghe.example.com/example/voice-agent',
      runUrl: 'https://ghe.example.com/example/voice-agent/actions/runs/42',
      apiUrl: 'https://ghe.example.com/api/v3',
    });
  });

  it('outside a runner: the current directory for both, and no run to link to', () => {
    expect(runnerContext({})).toEqual({ workspace: process.cwd(), runnerTemp: process.cwd(), fileRoots: [process.cwd()] });
  });

  it('links the run on github.com when the runner names no server', () => {
    expect(runnerContext({ GITHUB_REPOSITORY: 'example/voice-agent', GITHUB_RUN_ID: '7' }).runUrl).toBe(
      'https://github.com/example/voice-agent/actions/runs/7',
    );
  });
});

/** Never answers: a core waiting on it can only be given up. */
const hanging = <T>(): Promise<T> => new Promise<T>(() => undefined);

describe('a cancelled run whose core cannot be stopped', () => {
  it('migrate-secrets fails as cancelled while its vault is still listing', async () => {
    const io = recordedIO('migrate-secrets', { 'source-vault': 'kv-dev', 'target-vault': 'kv-prod' });
    const cancellation = new AbortController();
    let listing = false;
    const vault = (reference: VaultPort['vault']): VaultPort => ({
      vault: reference,
      listSecrets: () => ((listing = true), hanging()),
      listDeletedSecretNames: async () => [],
      getSecret: hanging,
      setSecret: hanging,
      updateSecretMetadata: hanging,
      recoverDeletedSecret: hanging,
    });
    const done = migrate(io, { openVault: vault, cancellation: cancellation.signal });
    await expect.poll(() => listing).toBe(true);
    cancellation.abort('SIGTERM');
    await done;
    expect(io.failed).toBe(CANCELLED);
    expect(io.summaries).toEqual([]);
  });

  it('provision fails as cancelled while ARM has not answered', async () => {
    const io = recordedIO('provision', { mode: 'what-if' }, { AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-0000000000dd' });
    const cancellation = new AbortController();
    let asked = false;
    const arm = fakeArm('00000000-0000-0000-0000-0000000000dd', {
      getResourceGroup: () => ((asked = true), hanging()),
      get: () => ((asked = true), hanging()),
      listResources: () => ((asked = true), hanging()),
      whatIf: () => ((asked = true), hanging()),
    });
    const done = provision(io, { arm: () => arm, cancellation: cancellation.signal });
    await expect.poll(() => asked).toBe(true);
    cancellation.abort('SIGINT');
    await done;
    expect(io.failed).toBe(CANCELLED);
  });
});
