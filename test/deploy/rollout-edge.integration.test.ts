/**
 * The rollout behind Front Door with real containers: the example environment provisioned in the
 * sandbox with its edge (provision approves the Private Link connection), a healthy previous
 * revision, and a runner outside the environment's network (its own addresses answer 403). The
 * candidate is proven from Azure's view (its revision states, from the readiness probes the
 * sandbox runs) and the step probes go to the edge; a runner inside the network probes the label
 * address as before. Every request goes to 127.0.0.1, through the sandbox.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createPipelineRequest, type HttpClient } from '@azure/core-rest-pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { writeBusyboxApp } from '../../sandbox/busybox-app.js';
import { armPort } from '../../src/azure/arm.js';
import { azureClientOptions } from '../../src/azure/credential.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { rollout, RolloutFailedError, type RolloutResult } from '../../src/deploy/rollout.js';
import { provisionedEnvironment, type ProvisionedEnvironment } from '../helpers/environment.js';
import { recordingLogger } from '../helpers/logger.js';
import { pushContext } from '../helpers/rollout.js';
import { appTraffic } from '../helpers/sandbox-admin.js';

let environment: ProvisionedEnvironment;
let sandbox: Sandbox;
let workspace: string;
let env: NodeJS.ProcessEnv;
let edgeHost: string;
let fqdn: string;
let http: HttpClient;
let serial = 0;

/** An image of the busybox app; `healthy: false` leaves out /health, so every probe of it gets a 404. */
async function image(healthy = true): Promise<string> {
  const context = `image-${++serial}`;
  await writeBusyboxApp(join(workspace, context), `ok ${serial}\n`);
  if (!healthy) await rm(join(workspace, context, 'www', 'health'));
  return pushContext(environment, context, `${String(serial).padStart(7, '0')}edge0`);
}

function deploy(image: string, logger: Logger, behindEdge = true, healthTimeoutSeconds = 60): Promise<RolloutResult> {
  return rollout(
    {
      cwd: workspace,
      config: 'azure-hipaa.yml',
      image,
      stage: 'all',
      suffix: `e${++serial}`,
      healthTimeoutSeconds,
      probeCount: 2,
      gate: 'none',
      trafficSteps: [50, 100],
      stepWaitSeconds: 1,
      keepRevisions: 2,
      env,
      logger,
      pollIntervalMs: 100,
      ...(behindEdge ? { edgeHost } : {}),
    },
    { arm: armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string) },
  );
}

/** The status of a GET of https://<host>/health from this machine, through the sandbox. */
async function status(host: string): Promise<number> {
  const response = await http.sendRequest(createPipelineRequest({ url: `https://${host}/health`, method: 'GET', timeout: 5000 }));
  return response.status;
}

function revision(name: string) {
  const app = [...sandbox.server.arm.resources.values()].find((resource) => resource.type === 'Microsoft.App/containerApps');
  return sandbox.server.apps.revisionsOf(app?.id ?? '').find((candidate) => candidate.name === name);
}

function edgeProbes(lines: string[]): string[] {
  return lines.filter((line) => line.startsWith(`https://${edgeHost}/health: `));
}

beforeAll(async () => {
  const provisioned = await provisionedEnvironment();
  environment = provisioned;
  ({ sandbox, workspace, env } = provisioned);
  edgeHost = provisioned.outputs['edge-host-name'] as string;
  expect(edgeHost).toMatch(/^seniorly-prod-[0-9a-z]+\.z\d+\.azurefd\.net$/);
  const client = azureClientOptions(env).httpClient;
  if (!client) throw new Error('the sandbox routes nothing');
  http = client;
  // The first deploy replaces the placeholder at once; the tests' candidates then move traffic in steps.
  fqdn = (await deploy(await image(), silentLogger, false)).fqdn;
}, 240_000);
afterAll(async () => environment?.stop());
afterEach(() => {
  sandbox.server.apps.callerInNetwork = true;
});

describe('rollout behind the edge, the runner outside the network', () => {
  it('proves a healthy candidate from Azure’s view, probes the edge at each step, and promotes it', async () => {
    sandbox.server.apps.callerInNetwork = false;
    const logger = recordingLogger();
    const promoted = await deploy(await image(), logger);
    expect(promoted.rolledBack).toBe(false);
    expect(promoted.appHostName).toBe(edgeHost);
    expect(appTraffic(sandbox)).toEqual([
      { revisionName: promoted.revision, weight: 100 },
      { revisionName: promoted.previousRevision, weight: 0, label: 'previous' },
    ]);
    expect(logger.lines.filter((line) => line.startsWith('Proof of health: '))).toEqual([
      expect.stringMatching(/^Proof of health: Azure's view\. https:\/\/.*---candidate\..* refuses this runner \(403/),
    ]);
    expect(logger.lines).toContain(`Revision ${promoted.revision}: Provisioned/Running/Healthy in 2 consecutive reads.`);
    expect(edgeProbes(logger.lines)).toEqual([expect.stringMatching(/: [1-9]\d* answers in 1 s, all 2xx\.$/)]);
    expect(logger.lines.some((line) => line.includes(`https://${fqdn}/`))).toBe(false);
    expect(await status(edgeHost)).toBe(200);
    expect(await status(fqdn)).toBe(403);
  }, 180_000);

  it('never gives traffic to a candidate whose /health fails, and restores the split exactly', async () => {
    sandbox.server.apps.callerInNetwork = false;
    const before = appTraffic(sandbox);
    const logger = recordingLogger();
    // A short health timeout: the sandbox's restarts of a failing startup probe would take half a minute to end Failed.
    const error = await deploy(await image(false), logger, true, 15).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RolloutFailedError);
    const failed = error as RolloutFailedError;
    expect(failed.message).toMatch(/never became ready|was not healthy within health-timeout-seconds/);
    expect(failed.result.rolledBack).toBe(true);
    expect(appTraffic(sandbox)).toEqual(before);
    expect(revision(failed.result.revision)?.active).toBe(false);
    // Azure's states said no before any traffic moved: no step, no probe of the edge.
    expect(logger.lines.some((line) => line.startsWith('Traffic: '))).toBe(false);
    expect(logger.lines.some((line) => line.includes(`${failed.result.revision}: Provisioned/Running/Healthy`))).toBe(false);
    expect(edgeProbes(logger.lines)).toEqual([]);
    expect(await status(edgeHost)).toBe(200);
  }, 180_000);
});

describe('rollout behind the edge, the runner inside the network', () => {
  it('probes the candidate’s label address, and says so', async () => {
    const logger = recordingLogger();
    const promoted = await deploy(await image(), logger);
    expect(promoted.rolledBack).toBe(false);
    expect(logger.lines.filter((line) => line.startsWith('Proof of health: '))).toEqual([
      expect.stringMatching(/^Proof of health: probes of the candidate's label address https:\/\/.*---candidate\..*\/health /),
    ]);
    expect(logger.lines.some((line) => /---candidate\..*\/health: 2 consecutive 2xx\.$/.test(line))).toBe(true);
    expect(edgeProbes(logger.lines)).toHaveLength(1);
    expect(await status(fqdn)).toBe(200);
  }, 180_000);
});
