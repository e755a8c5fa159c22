/**
 * examples/workflows/staging-production.yml run job by job against the sandbox (test/helpers/workflow-run.ts):
 * every push deploys to staging through deploy.yml (the gate on staging's plan, provision, a build pushed
 * to the shared build registry and imported by digest into staging's registry), then production takes
 * staging's source image: one digest from the build to production, nothing rebuilt, and only a digest
 * staging runs. GitHub's environment approval (required reviewers on `production`) is GitHub's own gate
 * between the jobs and cannot run here: the runner starts production as soon as staging succeeded.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBusyboxApp } from '../sandbox/busybox-app.js';
import { digestOf } from '../sandbox/acr/registry.js';
import { federatedJobEnv, sandboxEnvironment, type ProvisionedEnvironment } from './helpers/environment.js';
import { repoRoot } from './helpers/run-action.js';
import { runWorkflow, type WorkflowRun } from './helpers/workflow-run.js';

const REPOSITORY = 'example/voice-agent';
const SHA = '5ca1ab1e0123456789abcdef0123456789abcdef';
const GITHUB = { repository: REPOSITORY, sha: SHA, token: 'ghs_not-a-real-token', server_url: 'https://github.com' };

let environment: ProvisionedEnvironment;
let runId = 9_100_000_000;
let runnerTemp: string;

beforeAll(async () => {
  environment = await sandboxEnvironment();
  runnerTemp = await mkdtemp(join(tmpdir(), 'workflow-runner-temp-'));
  await writeBusyboxApp(environment.workspace, 'ok\n');
  await copyFile(join(repoRoot, 'examples/azure-hipaa.staging.yml'), join(environment.workspace, 'azure-hipaa.staging.yml'));
}, 180_000);
afterAll(async () => {
  await environment?.stop();
  await rm(runnerTemp, { recursive: true, force: true });
});

/** What a job's steps see after azure/login with OIDC: a federated token for the job's environment. */
function jobEnv(job: { id: string; environment?: string }): Record<string, string> {
  const subject = job.environment ? `repo:${REPOSITORY}:environment:${job.environment}` : `repo:${REPOSITORY}:ref:refs/heads/main`;
  return {
    ...federatedJobEnv(environment, runnerTemp, job.id, subject),
    GITHUB_SHA: SHA,
    GITHUB_RUN_ID: String(runId),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: REPOSITORY,
  };
}

function vars(): Record<string, string> {
  const { AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID } = environment.sandbox.env;
  return {
    AZURE_CLIENT_ID: AZURE_CLIENT_ID as string,
    AZURE_TENANT_ID: AZURE_TENANT_ID as string,
    AZURE_SUBSCRIPTION_ID: AZURE_SUBSCRIPTION_ID as string,
  };
}

const failures = (run: WorkflowRun) =>
  run.steps.filter((step) => step.outcome === 'failure').map((step) => `${step.job} / ${step.name}:\n${step.stdout.slice(-3000)}`);
/** The deploy-container steps in the order they ran: staging's, then production's. */
const deploySteps = (run: WorkflowRun) => run.steps.filter((step) => step.job === 'deploy' && step.name.includes('deploy-container'));
/** The image of the revision serving all of an app's traffic, from the sandbox's Resource Manager. */
function servingImage(resourceGroup: string): string | undefined {
  const resources = [...environment.sandbox.server.arm.resources.values()];
  const app = resources.find(
    (resource) =>
      resource.type === 'Microsoft.App/containerApps' && resource.id.toLowerCase().includes(`/resourcegroups/${resourceGroup}/`),
  );
  const properties = app?.properties as {
    configuration: { ingress: { traffic: { revisionName?: string; weight: number }[] } };
    template: { containers: { image: string }[] };
  };
  expect(properties.configuration.ingress.traffic.find((entry) => entry.weight === 100)?.revisionName).toBeDefined();
  return properties.template.containers[0]?.image;
}

describe('staging, then production, with the same digest (examples/workflows/staging-production.yml, job by job)', () => {
  let digest: string;

  it('deploys the push to staging, then promotes staging’s exact digest to production without building it again', async () => {
    runId++;
    const run = await runWorkflow({
      workflow: 'examples/workflows/staging-production.yml',
      inputs: {},
      vars: vars(),
      workspace: environment.workspace,
      github: GITHUB,
      jobEnv,
    });
    expect(failures(run)).toEqual([]);
    expect(Object.fromEntries(Object.entries(run.jobs).map(([id, job]) => [id, job.result]))).toEqual({
      staging: 'success',
      production: 'success',
    });
    const staging = run.jobs['staging']?.outputs ?? {};
    const production = run.jobs['production']?.outputs ?? {};
    // The gate judged each environment's own plan.
    expect([staging['verdict'], production['verdict']]).toEqual(['pass', 'pass']);
    expect(run.steps.filter((step) => step.job === 'gate' && step.name.includes('hipaa-gate')).map((step) => step.outcome)).toEqual([
      'success',
      'success',
    ]);

    // One digest: built once into the build registry, imported into staging's registry, then into production's.
    digest = staging['digest'] as string;
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(environment.sandbox.server.registries.content('seniorlybuildacr').manifestDigest('voice-agent', SHA)).toBe(digest);
    expect(staging['source-image']).toBe(`seniorlybuildacr.azurecr.io/voice-agent@${digest}`);
    expect(staging['image']).toBe(`seniorlystagingacr.azurecr.io/voice-agent@${digest}`);
    expect(production['source-image']).toBe(`seniorlybuildacr.azurecr.io/voice-agent@${digest}`);
    expect(production['image']).toBe(`seniorlyprodacr.azurecr.io/voice-agent@${digest}`);
    expect(production['digest']).toBe(digest);
    expect(environment.sandbox.server.registries.imports).toEqual([
      { target: 'seniorlystagingacr', sourceImage: `voice-agent@${digest}` },
      { target: 'seniorlyprodacr', sourceImage: `voice-agent@${digest}` },
    ]);
    // What each environment's app serves now, as Resource Manager has it.
    expect(servingImage('seniorly-staging-rg')).toBe(`seniorlystagingacr.azurecr.io/voice-agent@${digest}`);
    expect(servingImage('seniorly-prod-rg')).toBe(`seniorlyprodacr.azurecr.io/voice-agent@${digest}`);

    // Staging built the image; production built nothing and checked that staging runs the digest first.
    const [stagingDeploy, productionDeploy] = deploySteps(run);
    expect(stagingDeploy?.stdout).toContain(`::group::Build seniorlybuildacr.azurecr.io/voice-agent:${SHA}`);
    expect(productionDeploy?.stdout).not.toMatch(/::group::Build |docker (buildx )?build/);
    expect(productionDeploy?.stdout).toContain(
      `voice-agent in resource group seniorly-staging-rg (require-deployed-in: azure-hipaa.staging.yml) runs seniorlystagingacr.azurecr.io/voice-agent@${digest}`,
    );
  }, 900_000);

  it('refuses to promote to production a digest in the build registry that staging does not run: nothing is imported', async () => {
    // Another image of the same repository in the build registry (a rebuild, say), which staging never ran.
    const build = environment.sandbox.server.registries.content('seniorlybuildacr').repository('voice-agent');
    const tested = build.manifests.get(digest);
    expect(tested).toBeDefined();
    const manifest = JSON.parse(tested?.bytes.toString('utf8') ?? '{}') as Record<string, unknown>;
    const bytes = Buffer.from(JSON.stringify({ ...manifest, annotations: { 'org.example.rebuilt': 'yes' } }));
    const untested = digestOf(bytes);
    build.manifests.set(untested, { mediaType: tested?.mediaType ?? '', bytes });
    const imports = environment.sandbox.server.registries.imports.length;

    runId++;
    const image = `seniorlybuildacr.azurecr.io/voice-agent@${untested}`;
    const run = await runWorkflow({
      workflow: '.github/workflows/deploy.yml',
      inputs: {
        'client-id': vars()['AZURE_CLIENT_ID'] as string,
        'tenant-id': vars()['AZURE_TENANT_ID'] as string,
        'subscription-id': vars()['AZURE_SUBSCRIPTION_ID'] as string,
        environment: 'production',
        config: 'azure-hipaa.yml',
        image,
        'require-deployed-in': 'azure-hipaa.staging.yml',
        'step-wait-seconds': '1',
      },
      workspace: environment.workspace,
      github: GITHUB,
      jobEnv,
    });
    expect(run.jobs['deploy']?.result).toBe('failure');
    const [deploy] = deploySteps(run);
    expect(deploy?.outcome).toBe('failure');
    expect(deploy?.stdout).toContain(
      `::error::Refusing to deploy ${image}: voice-agent in resource group seniorly-staging-rg (require-deployed-in: azure-hipaa.staging.yml) has not deployed digest ${untested}`,
    );
    expect(deploy?.stdout).not.toMatch(/::group::Build /);
    expect(environment.sandbox.server.registries.imports.length).toBe(imports);
    expect(servingImage('seniorly-prod-rg')).toBe(`seniorlyprodacr.azurecr.io/voice-agent@${digest}`);
  }, 600_000);
});
