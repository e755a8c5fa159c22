/**
 * The reusable workflows run job by job against the sandbox (test/helpers/workflow-run.ts), each
 * step that uses our actions the bundled action with the inputs the workflow gives it. deploy.yml:
 * the gate on the plan, provision into an empty subscription, deploy-container building the
 * caller's Dockerfile; a plan the gate fails stops the run before anything reaches Azure.
 * cutover.yml, on the environment the deploy left: launch day from the typed confirmation to the
 * recorded tag; a smoke test that fails leaves the phone number on the old environment. The tests
 * run in order: the cutover starts from what the deploy built.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBusyboxApp } from '../sandbox/busybox-app.js';
import { VOICE_AGENT_SECRETS } from '../src/cli/commands/rehearse.js';
import { federatedJobEnv, sandboxEnvironment, type ProvisionedEnvironment } from './helpers/environment.js';
import { runWorkflow, type WorkflowRun } from './helpers/workflow-run.js';

const REPOSITORY = 'example/voice-agent';
const SHA = 'c0ffee0123456789abcdef0123456789abcdef01';

let environment: ProvisionedEnvironment;
/** Each workflow run's id; a called workflow shares its caller's, as on GitHub. */
let runId = 9_000_000_000;
let runnerTemp: string;

beforeAll(async () => {
  environment = await sandboxEnvironment();
  runnerTemp = await mkdtemp(join(tmpdir(), 'workflow-runner-temp-'));
  await writeBusyboxApp(environment.workspace, 'ok\n');
}, 180_000);
afterAll(async () => {
  await environment?.stop();
  await rm(runnerTemp, { recursive: true, force: true });
});

/** What a job's steps see after azure/login with OIDC: a federated token for the job's subject, no client secret. */
function jobEnv(job: { id: string; environment?: string }): Record<string, string> {
  // The runner's DNS and trust store would find the app's address; here curl reaches it through the sandbox's proxy.
  const network: Record<string, string> =
    job.id === 'smoke' ? { HTTPS_PROXY: environment.sandbox.httpsProxy, CURL_CA_BUNDLE: environment.sandbox.caCert } : {};
  const subject = job.environment ? `repo:${REPOSITORY}:environment:${job.environment}` : `repo:${REPOSITORY}:ref:refs/heads/main`;
  return {
    ...federatedJobEnv(environment, runnerTemp, job.id, subject),
    GITHUB_SHA: SHA,
    GITHUB_RUN_ID: String(runId),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: REPOSITORY,
    ...network,
  };
}

function deployWorkflow(config: string): Promise<WorkflowRun> {
  runId++;
  const { AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID } = environment.sandbox.env;
  return runWorkflow({
    workflow: '.github/workflows/deploy.yml',
    inputs: {
      'client-id': AZURE_CLIENT_ID as string,
      'tenant-id': AZURE_TENANT_ID as string,
      'subscription-id': AZURE_SUBSCRIPTION_ID as string,
      config,
      'step-wait-seconds': '1',
    },
    workspace: environment.workspace,
    github: { repository: REPOSITORY, sha: SHA, token: 'ghs_not-a-real-token', server_url: 'https://github.com' },
    jobEnv,
  });
}

const resourceGroups = () => [...environment.sandbox.server.arm.resourceGroups.values()].map((group) => group.name);

describe('the reusable deploy workflow, run job by job', () => {
  it('stops at the gate when the plan fails it: provision and deploy are skipped and nothing reaches Azure', async () => {
    const config = await readFile(join(environment.workspace, 'azure-hipaa.yml'), 'utf8');
    const insecure = config.replace(/softDeleteRetentionInDays: 90/, 'softDeleteRetentionInDays: 30');
    expect(insecure).toContain('softDeleteRetentionInDays: 30');
    await writeFile(join(environment.workspace, 'insecure.yml'), insecure);

    const run = await deployWorkflow('insecure.yml');
    expect(run.jobs['gate']?.result).toBe('failure');
    expect(run.jobs['provision']?.result).toBe('skipped');
    expect(run.jobs['deploy']?.result).toBe('skipped');
    expect(run.outputs['verdict']).toBe('fail');
    expect(run.steps.find((step) => step.job === 'gate' && step.outcome === 'failure')?.stdout).toMatch(/keyvault\.soft-delete/);
    expect(resourceGroups()).toEqual([]);
  }, 120_000);

  it('gates the plan, provisions, builds, pushes and rolls out the caller’s app, and gives the workflow’s outputs', async () => {
    const run = await deployWorkflow('azure-hipaa.yml');
    const failed = run.steps.filter((step) => step.outcome === 'failure');
    expect(failed.map((step) => `${step.job} / ${step.name}:\n${step.stdout.slice(-3000)}`)).toEqual([]);
    expect(Object.fromEntries(Object.entries(run.jobs).map(([id, job]) => [id, job.result]))).toEqual({
      gate: 'success',
      provision: 'success',
      deploy: 'success',
    });
    expect(run.outputs['verdict']).toBe('pass');
    // The runner is outside the network: the image went to the build registry and was imported by digest.
    expect(run.outputs['image']).toMatch(/^seniorlyprodacr\.azurecr\.io\/voice-agent@sha256:[a-f0-9]{64}$/);
    const digest = run.outputs['image']?.split('@')[1];
    expect(run.outputs['source-image']).toBe(`seniorlybuildacr.azurecr.io/voice-agent@${digest}`);
    expect(environment.sandbox.server.registries.imports).toEqual([{ target: 'seniorlyprodacr', sourceImage: `voice-agent@${digest}` }]);
    expect(environment.sandbox.server.registries.insideNetwork.size).toBe(0);
    expect(run.steps.find((step) => step.job === 'deploy' && step.name.includes('deploy-container'))?.stdout).toContain(
      'through Resource Manager (importImage, source by resource id)',
    );
    // c<commit>-<run id in base 36>-<attempt>: a re-run gets a revision of its own.
    expect(run.outputs['revision']).toBe(`voice-agent--cc0ffee0-${runId.toString(36)}-1`);
    expect(run.outputs['fqdn']).toMatch(/^voice-agent\..+\.azurecontainerapps\.io$/);
    expect(resourceGroups()).toEqual(['seniorly-prod-rg', 'seniorly-build-rg']);
    const app = [...environment.sandbox.server.arm.resources.values()].find((resource) => resource.type === 'Microsoft.App/containerApps');
    const traffic = (app?.properties as { configuration: { ingress: { traffic: { revisionName?: string; weight: number }[] } } })
      .configuration.ingress.traffic;
    expect(traffic.find((entry) => entry.weight === 100)?.revisionName).toBe(run.outputs['revision']);
  }, 600_000);
});

describe('the reusable cutover workflow, run job by job', () => {
  const DEV_VOICE_URL = 'https://dev-voice.example.com/voice';
  let twilio: { accountSid: string; authToken: string; numberSid: string };
  let origin: string;
  const seeded = new Map<string, string>();

  beforeAll(async () => {
    // The development side: its vault with the guide's ten secrets (Twilio's are the sandbox account's), and the phone number on it.
    twilio = environment.sandbox.server.twilio.createAccount('+15555550123', DEV_VOICE_URL);
    const development = environment.sandbox.server.keyVaults.create('dev-secrets');
    for (const name of VOICE_AGENT_SECRETS) {
      const value =
        name === 'TwilioAccountSid' ? twilio.accountSid : name === 'TwilioAuthToken' ? twilio.authToken : randomBytes(16).toString('hex');
      seeded.set(name, value);
      development.put(name, { value, enabled: true, contentType: 'text/plain' });
    }
    // The caller's checkout is a clone: the record job pushes its tag to origin.
    origin = await mkdtemp(join(tmpdir(), 'workflow-origin-'));
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'pipe' });
    git(origin, 'init', '-q', '--bare');
    git(environment.workspace, 'init', '-q');
    git(environment.workspace, 'add', '-A');
    git(environment.workspace, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'the app');
    git(environment.workspace, 'remote', 'add', 'origin', origin);
  });
  afterAll(async () => {
    if (origin) await rm(origin, { recursive: true, force: true });
  });

  const productionSecret = (name: string) =>
    environment.sandbox.server.keyVaults.get('seniorly-prod-secrets')?.get(name)?.secret.versions.at(-1)?.value;
  const number = () => environment.sandbox.server.twilio.accounts.get(twilio.accountSid)?.numbers.get(twilio.numberSid);

  function cutover(inputs: Record<string, string>): Promise<WorkflowRun> {
    runId++;
    const { AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID } = environment.sandbox.env;
    return runWorkflow({
      workflow: '.github/workflows/cutover.yml',
      inputs: {
        confirm: 'production',
        'client-id': AZURE_CLIENT_ID as string,
        'tenant-id': AZURE_TENANT_ID as string,
        'subscription-id': AZURE_SUBSCRIPTION_ID as string,
        'development-subscription-id': '11111111-2222-3333-4444-555555555555',
        'development-vault': 'dev-secrets',
        'development-resource-group': 'seniorly-dev-rg',
        'production-vault': 'seniorly-prod-secrets',
        'phone-number': '+15555550123',
        // The busybox stand-in serves files, not a Twilio webhook: the signed smoke request has its own test (test/deploy/signed-smoke.test.ts).
        'voice-smoke': 'false',
        config: 'azure-hipaa.yml',
        ...inputs,
      },
      workspace: environment.workspace,
      github: { repository: REPOSITORY, sha: SHA, token: 'ghs_not-a-real-token', server_url: 'https://github.com' },
      jobEnv,
    });
  }
  const tagMessage = () => execFileSync('git', ['-C', origin, 'tag', '-n1', '-l', 'azure-hipaa/cutover/production'], { encoding: 'utf8' });
  const results = (run: WorkflowRun) => Object.fromEntries(Object.entries(run.jobs).map(([id, job]) => [id, job.result]));

  it('refuses to start unless confirm names the environment: nothing is migrated, deployed or switched', async () => {
    const run = await cutover({ confirm: 'prod' });
    expect(results(run)).toEqual({
      confirm: 'failure',
      'live-gate': 'skipped',
      migrate: 'skipped',
      deploy: 'skipped',
      smoke: 'skipped',
      'switch-webhook': 'skipped',
      record: 'skipped',
    });
    expect(run.steps[0]?.stdout).toMatch(/::error::confirm is 'prod'; type the environment's name \(production\)/);
    expect(productionSecret('TwilioAuthToken')).toBeUndefined();
  }, 60_000);

  it('keeps the phone number on the old environment when the smoke test fails', async () => {
    const run = await cutover({ 'health-path': '/not-there', 'smoke-timeout-seconds': '1' });
    expect(results(run)).toEqual({
      confirm: 'success',
      'live-gate': 'success',
      migrate: 'success',
      deploy: 'success',
      smoke: 'failure',
      'switch-webhook': 'skipped',
      record: 'skipped',
    });
    expect(run.steps.find((step) => step.job === 'smoke')?.stdout).toMatch(
      /did not answer within 1 s: the webhook stays on the old environment/,
    );
    expect(number()?.voice_url).toBe(DEV_VOICE_URL);
  }, 300_000);

  it('runs launch day: live gate, secrets (dry run first), deploy, smoke test, webhook switch, recorded tag; no secret value in any log', async () => {
    const run = await cutover({});
    const failed = run.steps.filter((step) => step.outcome === 'failure');
    expect(failed.map((step) => `${step.job} / ${step.name}:\n${step.stdout.slice(-3000)}`)).toEqual([]);
    expect(Object.values(results(run))).toEqual(Array(7).fill('success'));

    const migrate = run.steps.filter((step) => step.job === 'migrate');
    expect(migrate.map((step) => step.name)).toEqual([
      'azure/login@f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca',
      'dry run (listed first in the summary)',
      'copy',
    ]);
    expect(productionSecret('TwilioAuthToken')).toBe(twilio.authToken);
    // The production vault refuses this runner's network: the copy went through Resource Manager.
    expect(migrate.find((step) => step.name === 'copy')?.stdout).toContain('through Resource Manager (the target refuses this network)');
    // The AI keys stay behind: the app reaches those services with its identity.
    expect(productionSecret('AzureOpenAIKey')).toBeUndefined();

    // The webhook goes to the app's public address: the edge (Front Door), not the environment's own address.
    const appHostName = run.jobs['deploy']?.outputs['app-host-name'];
    expect(appHostName).toMatch(/\.z01\.azurefd\.net$/);
    expect(number()?.voice_url).toBe(`https://${appHostName}/voice`);
    expect(number()?.voice_fallback_url).toBe(DEV_VOICE_URL);
    expect(tagMessage()).toMatch(
      new RegExp(
        `Cutover to production: revision ${run.jobs['deploy']?.outputs['revision']} serves; development 11111111-2222-3333-4444-555555555555/seniorly-dev-rg left as the fallback`,
      ),
    );
    // Registering a value for masking is the one place it may appear: the runner hides it from then on.
    const logs = run.steps.map((step) => ({
      ...step,
      stdout: step.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n'),
    }));
    for (const [name, value] of seeded)
      expect(logs.filter((step) => step.stdout.includes(value)).map((step) => `${name} in ${step.job} / ${step.name}`)).toEqual([]);
    const masked = run.steps.flatMap((step) => step.stdout.split('\n')).filter((line) => line.startsWith('::add-mask::'));
    expect(masked).toContain(`::add-mask::${twilio.authToken}`);
  }, 300_000);

  it('a second cutover leaves the first record as it is, imports nothing and writes no new secret version', async () => {
    const first = tagMessage();
    const versions = () =>
      [...(environment.sandbox.server.keyVaults.get('seniorly-prod-secrets')?.secrets.values() ?? [])].map(
        ({ name, secret }) => `${name}:${secret.versions.length}`,
      );
    const before = { versions: versions(), imports: environment.sandbox.server.registries.imports.length };
    const run = await cutover({});
    expect(results(run)['record']).toBe('success');
    expect(run.steps.find((step) => step.job === 'record' && step.name.startsWith('tag'))?.stdout).toMatch(
      /::notice::The cutover to production is already recorded/,
    );
    expect(tagMessage()).toBe(first);
    expect(versions()).toEqual(before.versions);
    expect(environment.sandbox.server.registries.imports.length).toBe(before.imports);
  }, 300_000);
});
