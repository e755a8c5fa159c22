/**
 * .github/workflows/e2e-azure.yml run job by job against the sandbox (test/helpers/workflow-run.ts),
 * so the workflow that meets real Azure stays correct while no subscription is at hand: a green run
 * provisions, migrates, deploys, deletes everything it made and records its timings; a failure
 * injected in each phase still runs the cleanup, which leaves nothing behind. A group that belongs to
 * someone else is there throughout and is never touched.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { federatedJobEnv, sandboxEnvironment, type ProvisionedEnvironment } from './helpers/environment.js';
import { repoRoot } from './helpers/run-action.js';
import { adminRequest } from './helpers/sandbox-admin.js';
import { runWorkflow, type WorkflowRun } from './helpers/workflow-run.js';

const REPOSITORY = 'azure-hipaa/azure-hipaa-actions';
const SHA = 'e2e0000123456789abcdef0123456789abcdef01';
const BYSTANDER = 'someone-elses-rg';

let environment: ProvisionedEnvironment;
let workspace: string;
let origin: string;
let runnerTemp: string;
let runId = 81_000_000_000;

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: 'pipe' });

beforeAll(async () => {
  environment = await sandboxEnvironment();
  runnerTemp = await mkdtemp(join(tmpdir(), 'e2e-runner-temp-'));
  // The checkout: this repository's files the workflow reads (links), and a docs folder of its own the record job commits to.
  workspace = await mkdtemp(join(tmpdir(), 'e2e-workspace-'));
  for (const linked of ['test', 'examples', 'cli']) await symlink(join(repoRoot, linked), join(workspace, linked));
  await mkdir(join(workspace, 'docs'));
  await copyFile(join(repoRoot, 'docs/e2e-last-run.md'), join(workspace, 'docs/e2e-last-run.md'));
  origin = await mkdtemp(join(tmpdir(), 'e2e-origin-'));
  git(origin, 'init', '-q', '--bare');
  git(workspace, 'init', '-q', '-b', 'main');
  git(workspace, 'add', 'docs');
  git(workspace, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'docs');
  git(workspace, 'remote', 'add', 'origin', origin);
  git(workspace, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  // Someone else's group in the same subscription: the run must leave it as it is.
  await environment.sandbox.server.arm.putResourceGroup(BYSTANDER, { location: 'eastus2', tags: { Owner: 'someone else' } });
}, 180_000);
afterAll(async () => {
  await environment?.stop();
  for (const dir of [runnerTemp, workspace, origin]) if (dir) await rm(dir, { recursive: true, force: true });
});

const suffix = () => `${runId.toString(36)}1`;
const groups = () => [...environment.sandbox.server.arm.resourceGroups.values()].map((group) => group.name);
const roleAssignments = () =>
  [...environment.sandbox.server.arm.resources.values()].filter((resource) => resource.type === 'Microsoft.Authorization/roleAssignments');
const results = (run: WorkflowRun) => Object.fromEntries(Object.entries(run.jobs).map(([id, job]) => [id, job.result]));

function jobEnv(job: { id: string; environment?: string }): Record<string, string> {
  const subject = job.environment ? `repo:${REPOSITORY}:environment:${job.environment}` : `repo:${REPOSITORY}:ref:refs/heads/main`;
  return {
    ...federatedJobEnv(environment, runnerTemp, job.id, subject),
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: runnerTemp,
    GITHUB_SHA: SHA,
    GITHUB_RUN_ID: String(runId),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_STEP_SUMMARY: join(runnerTemp, 'summary.md'),
  };
}

/** One run of e2e-azure.yml; `inject` changes the sandbox just before a job starts. */
async function e2e(inject?: (job: string) => Promise<void>): Promise<WorkflowRun> {
  runId++;
  await rm(join(workspace, '.e2e'), { recursive: true, force: true });
  await writeFile(join(runnerTemp, 'summary.md'), '');
  return runWorkflow({
    workflow: '.github/workflows/e2e-azure.yml',
    inputs: {},
    workspace,
    github: {
      repository: REPOSITORY,
      sha: SHA,
      ref: 'refs/heads/main',
      run_id: String(runId),
      run_attempt: '1',
      token: 'ghs_not-a-real-token',
      server_url: 'https://github.com',
      event: { repository: { default_branch: 'main' } },
    } as unknown as Record<string, string>,
    jobEnv,
    vars: { E2E_STEP_WAIT_SECONDS: '1' },
    ...(inject ? { beforeJob: inject } : {}),
  });
}

/** After any run: only the bystander's group is left, no role assignment, the source vault purged, the HIPAA vault soft-deleted under purge protection. */
function expectNothingLeft(run: WorkflowRun): void {
  const cleanup = run.steps.filter((step) => step.job === 'cleanup' && step.outcome === 'failure');
  expect(cleanup.map((step) => step.stdout.slice(-2000))).toEqual([]);
  expect(run.jobs['cleanup']?.result).toBe('success');
  expect(groups()).toEqual([BYSTANDER]);
  expect(environment.sandbox.server.arm.resourceGroups.get(BYSTANDER)?.tags).toEqual({ Owner: 'someone else' });
  expect(roleAssignments()).toEqual([]);
  expect(environment.sandbox.server.arm.deletedVaults.has(`e2e-${suffix()}-src`)).toBe(false);
}

describe('the e2e-azure workflow, run job by job against the sandbox', () => {
  it('provisions, migrates two secrets, deploys through the live gate, deletes what it made, and records the timings', async () => {
    // Before the cleanup: the secrets as both vaults hold them (the values only the sandbox knows).
    const held: Record<string, (string | undefined)[]> = {};
    const value = (vault: string, name: string) =>
      environment.sandbox.server.keyVaults.get(vault)?.get(name)?.secret.versions.at(-1)?.value;
    const run = await e2e(async (job) => {
      if (job !== 'cleanup') return;
      for (const name of ['E2eSecretOne', 'E2eSecretTwo'])
        held[name] = [value(`e2e-${suffix()}-src`, name), value(`e2e-${suffix()}-secrets`, name)];
    });
    const failed = run.steps.filter((step) => step.outcome === 'failure');
    expect(failed.map((step) => `${step.job} / ${step.name}:\n${step.stdout.slice(-3000)}`)).toEqual([]);
    expect(results(run)).toEqual({
      names: 'success',
      provision: 'success',
      secrets: 'success',
      deploy: 'success',
      cleanup: 'success',
      summary: 'success',
      record: 'success',
    });
    // Every name the run used ends in its suffix.
    expect(run.jobs['names']?.outputs).toMatchObject({ group: `e2e-${suffix()}-rg`, vault: `e2e-${suffix()}-secrets`, region: 'eastus2' });
    expect(run.jobs['deploy']?.outputs['revision']).toMatch(/^e2e-app--/);
    // The live gate ran inside the rollout, before traffic moved.
    expect(run.steps.find((step) => step.job === 'deploy' && step.name.includes('deploy-container'))?.stdout).toMatch(/live/i);
    // Both copied as they were, and no value in any step's log.
    for (const [source, target] of Object.values(held)) {
      expect(source).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(target).toBe(source);
      // Registering a value for masking is the one place it may appear: the runner hides it from then on.
      const logged = (step: (typeof run.steps)[number]) =>
        step.stdout
          .split('\n')
          .filter((line) => !line.startsWith('::add-mask::'))
          .some((line) => line.includes(source as string));
      expect(run.steps.filter(logged).map((step) => `${step.job} / ${step.name}`)).toEqual([]);
    }
    expect(Object.keys(held)).toHaveLength(2);
    expectNothingLeft(run);
    // HIPAA's vault keeps purge protection: it stays soft-deleted, unpurgeable, under a name no other run uses.
    expect(environment.sandbox.server.arm.deletedVaults.get(`e2e-${suffix()}-secrets`)?.purgeProtectionEnabled).toBe(true);
    expect(run.steps.find((step) => step.job === 'cleanup' && step.name.startsWith('delete'))?.stdout).toMatch(
      new RegExp(`e2e-${suffix()}-secrets: soft-deleted with purge protection, so it cannot be purged`),
    );

    const summary = await readFile(join(runnerTemp, 'summary.md'), 'utf8');
    for (const phase of ['provision', 'secrets', 'deploy', 'cleanup'])
      expect(summary).toMatch(new RegExp(`\\| ${phase} \\| success \\| \\d+ min \\d+ s \\|`));
    const recorded = git(origin, 'show', 'main:docs/e2e-last-run.md');
    expect(recorded).toContain(`Date: ${new Date().toISOString().slice(0, 10)} (UTC)`);
    expect(recorded).toContain(`actions/runs/${runId}`);
    expect(recorded).toMatch(/\| deploy \| success \| \d+ min \d+ s \|/);
  }, 300_000);

  const sub = () => `/subscriptions/${environment.sandbox.env['AZURE_SUBSCRIPTION_ID'] ?? ''}`;
  it.each([
    {
      phase: 'provision',
      // Someone else holds the run's vault name.
      inject: () => ({ takenNames: [{ type: 'Microsoft.KeyVault/vaults', name: `e2e-${suffix()}-secrets` }] }),
      expected: { provision: 'failure', secrets: 'skipped', deploy: 'skipped' },
      why: /VaultAlreadyExists/,
    },
    {
      phase: 'secrets',
      inject: () => ({ takenNames: [{ type: 'Microsoft.KeyVault/vaults', name: `e2e-${suffix()}-src` }] }),
      expected: { provision: 'success', secrets: 'failure', deploy: 'skipped' },
      why: /Deploying the source vault e2e-\w+-src \(deployment e2e-source-\d+\) failed[\s\S]*VaultAlreadyExists/,
    },
    {
      phase: 'deploy',
      // The live gate cannot read the audit workspace: unknown blocks the rollout.
      inject: () => ({
        deniedReads: [`${sub()}/resourceGroups/e2e-${suffix()}-rg/providers/Microsoft.OperationalInsights/workspaces/e2e-${suffix()}-logs`],
      }),
      expected: { provision: 'success', secrets: 'success', deploy: 'failure' },
      why: /The HIPAA gate blocks promotion/,
    },
  ])(
    'a failure in $phase still runs the cleanup, which leaves nothing behind',
    async ({ phase, inject, expected, why }) => {
      const run = await e2e(async (job) => {
        if (job === phase) expect((await adminRequest(environment.sandbox, 'PATCH', '/arm', inject())).status).toBe(200);
      });
      environment.sandbox.server.arm.takenNames.clear();
      environment.sandbox.server.arm.deniedReads.clear();
      expect(results(run)).toEqual({ names: 'success', ...expected, cleanup: 'success', summary: 'success', record: 'skipped' });
      expect(run.steps.find((step) => step.job === phase && step.outcome === 'failure')?.stdout).toMatch(why);
      expectNothingLeft(run);
      expect(await readFile(join(runnerTemp, 'summary.md'), 'utf8')).toMatch(
        new RegExp(`\\| ${phase} \\| failure \\| \\d+ min \\d+ s \\|`),
      );
    },
    300_000,
  );
});
