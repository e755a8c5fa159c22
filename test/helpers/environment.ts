/**
 * The example environment provisioned in a sandbox that runs revisions on a real docker daemon:
 * what the rollout tests and the bundled deploy-container test start from.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { armPort } from '../../src/azure/arm.js';
import { silentLogger } from '../../src/core/logger.js';
import { provision } from '../../src/provision/provision.js';
import { startDockerd, type Dockerd } from '../../sandbox/dockerd.js';
import { repoRoot } from './run-action.js';
import { adminRequest } from './sandbox-admin.js';

export interface ProvisionedEnvironment {
  sandbox: Sandbox;
  dockerd: Dockerd;
  /** A workspace holding the example config (azure-hipaa.yml) and its BAA evidence. */
  workspace: string;
  /** The sandbox's and the daemon's environment variables over this process's. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** A sandbox with a docker daemon of its own and a workspace holding the example config; nothing provisioned yet. */
export async function sandboxEnvironment(): Promise<ProvisionedEnvironment> {
  const sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001, appTimeScale: 0.01 });
  const dockerd = await startDockerd({ httpsProxy: sandbox.httpsProxy, caCert: sandbox.caCert });
  sandbox.useDocker(dockerd.env);
  const env: NodeJS.ProcessEnv = { ...process.env, ...sandbox.env, ...dockerd.env };
  const workspace = await mkdtemp(join(tmpdir(), 'environment-'));
  await mkdir(join(workspace, 'compliance'));
  await copyFile(join(repoRoot, 'examples/azure-hipaa.yml'), join(workspace, 'azure-hipaa.yml'));
  await copyFile(join(repoRoot, 'examples/compliance/azure-baa-sample.txt'), join(workspace, 'compliance/azure-baa-sample.txt'));
  return {
    sandbox,
    dockerd,
    workspace,
    env,
    async stop() {
      await sandbox.stop();
      await dockerd.stop();
      await rm(workspace, { recursive: true, force: true });
    },
  };
}

/**
 * What a job's steps see after azure/login with OIDC: a federated token for `subject` in a file only
 * the owner reads, no client secret, and the docker daemon.
 */
export function federatedJobEnv(
  environment: ProvisionedEnvironment,
  runnerTemp: string,
  name: string,
  subject: string,
): Record<string, string> {
  const federated = join(runnerTemp, `federated-token-${name}`);
  execFileSync('sh', ['-c', `umask 077; cat > ${federated}`], { input: environment.sandbox.server.entra.signFederatedToken(subject) });
  const { AZURE_CLIENT_SECRET: _secret, ...withoutSecret } = environment.sandbox.env;
  return { ...withoutSecret, ...environment.dockerd.env, AZURE_FEDERATED_TOKEN_FILE: federated, RUNNER_TEMP: runnerTemp };
}

/** The environment as provision left it, with its outputs by action output name (`edge-host-name`, ...). */
export async function provisionedEnvironment(): Promise<ProvisionedEnvironment & { outputs: Record<string, string> }> {
  const environment = await sandboxEnvironment();
  const { sandbox, workspace, env } = environment;
  const result = await provision(
    { cwd: workspace, config: 'azure-hipaa.yml', mode: 'deploy', gate: 'block', logger: silentLogger, pollIntervalMs: 20 },
    { arm: armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string) },
  );
  if (result.status !== 'deployed') throw new Error(`provisioning the example environment ended ${result.status}`);
  // As a self-hosted runner inside the environment's virtual network: its registry is private.
  await adminRequest(sandbox, 'PATCH', '/registries/seniorlyprodacr', { insideNetwork: true });
  return { ...environment, outputs: result.outputs };
}
