/**
 * Canary analysis with real containers: the example environment provisioned in the sandbox, a
 * healthy previous revision under a small load this test generates (to 127.0.0.1 only, through the
 * sandbox's ingress), and candidates that pass every probe but fail a share of requests, answer
 * slowly, or get no traffic. The rollout reads Azure Monitor's metrics and the HTTP logs the
 * sandbox serves (with an ingestion delay) and rolls back, rolls back, and holds then decides.
 */
import { join } from 'node:path';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { writeCanaryApp, type WorkBehaviour } from '../../sandbox/busybox-app.js';
import { armPort } from '../../src/azure/arm.js';
import { azureClientOptions } from '../../src/azure/credential.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { DEFAULT_ANALYSIS, type AnalysisSettings } from '../../src/deploy/canary.js';
import { rollout, RolloutFailedError, type RolloutRequest, type RolloutResult } from '../../src/deploy/rollout.js';
import { provisionedEnvironment, type ProvisionedEnvironment } from '../helpers/environment.js';
import { recordingLogger } from '../helpers/logger.js';
import { pushContext } from '../helpers/rollout.js';
import { adminRequest } from '../helpers/sandbox-admin.js';

let environment: ProvisionedEnvironment;
let sandbox: Sandbox;
let workspace: string;
let env: NodeJS.ProcessEnv;
let serial = 0;
let fqdn: string;

/** Short windows so each test takes seconds: 3 s intervals read 1 s after they end, behind the sandbox's 0.5 s ingestion delay. */
const ANALYSIS: AnalysisSettings = {
  ...DEFAULT_ANALYSIS,
  intervalSeconds: 3,
  ingestionDelaySeconds: 1,
  minRequests: 15,
  maxExtensions: 1,
};

async function image(behaviour: WorkBehaviour): Promise<string> {
  const context = `image-${++serial}`;
  await writeCanaryApp(join(workspace, context), `ok ${serial}\n`, behaviour);
  return pushContext(environment, context, `${String(serial).padStart(7, '0')}c0ffee`);
}

function deploy(overrides: Partial<RolloutRequest>, logger: Logger = silentLogger, analysed = true): Promise<RolloutResult> {
  return rollout(
    {
      cwd: workspace,
      config: 'azure-hipaa.yml',
      stage: 'all',
      suffix: `k${++serial}`,
      healthTimeoutSeconds: 60,
      probeCount: 2,
      gate: 'none',
      trafficSteps: [50, 100],
      stepWaitSeconds: 0,
      keepRevisions: 2,
      env,
      logger,
      pollIntervalMs: 100,
      ...(analysed ? { analysis: ANALYSIS } : {}),
      ...overrides,
    },
    { arm: armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string) },
  );
}

function appResource() {
  return [...sandbox.server.arm.resources.values()].find((resource) => resource.type === 'Microsoft.App/containerApps');
}

function traffic(): unknown {
  return (appResource()?.properties as { configuration: { ingress: { traffic: unknown } } }).configuration.ingress.traffic;
}

function isActive(revision: string): boolean | undefined {
  return sandbox.server.apps.revisionsOf(appResource()?.id ?? '').find((candidate) => candidate.name === revision)?.active;
}

/** `clients` clients asking the app's address for /cgi-bin/work until stopped. */
function load(clients = 4): { stop(): Promise<number> } {
  const http = azureClientOptions(env).httpClient;
  if (!http) throw new Error('the sandbox routes nothing');
  let running = true;
  let sent = 0;
  const worker = async () => {
    while (running) {
      await http
        .sendRequest(createPipelineRequest({ url: `https://${fqdn}/cgi-bin/work`, method: 'GET', timeout: 5000 }))
        .catch(() => undefined);
      sent++;
    }
  };
  const workers = Array.from({ length: clients }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return sent;
    },
  };
}

async function refused(candidate: WorkBehaviour, reason: RegExp, overrides: Partial<RolloutRequest> = {}): Promise<RolloutFailedError> {
  const before = traffic();
  const logger = recordingLogger();
  const error = await deploy({ image: await image(candidate), ...overrides }, logger).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(RolloutFailedError);
  const failed = error as RolloutFailedError;
  expect(failed.message).toMatch(reason);
  expect(failed.result.rolledBack).toBe(true);
  expect(traffic()).toEqual(before);
  expect(isActive(failed.result.revision)).toBe(false);
  return failed;
}

beforeAll(async () => {
  environment = await provisionedEnvironment();
  ({ sandbox, workspace, env } = environment);
  // Metrics and logs arrive late, as in Azure (minutes there): the analysis must wait for the window to be covered.
  await adminRequest(sandbox, 'PATCH', '/monitor', { ingestionDelayMs: 500 });
  const first = await deploy({ image: await image('ok') }, silentLogger, false);
  fqdn = first.fqdn;
}, 240_000);
afterAll(async () => environment?.stop());

describe('canary analysis', () => {
  // Its requests race on one counter file, so fewer than one in five fail: still far above 1%.
  it('rolls back a candidate that fails every 5th request, with each revision’s counts in the result', async () => {
    const traffic = load();
    try {
      const failed = await refused(
        'fails-every-5th',
        /Canary analysis at 50% failed: .* served \d+ requests, [1-9]\d* 5xx \([\d.]+%\): its 5xx share is above 1%/,
      );
      const [check] = failed.result.analysis ?? [];
      expect(check?.verdict).toBe('fail');
      const baseline = check?.revisions.find((counts) => counts.revision === failed.result.previousRevision);
      expect(baseline?.requests).toBeGreaterThanOrEqual(ANALYSIS.minRequests);
      expect(baseline?.errors).toBe(0);
    } finally {
      expect(await traffic.stop()).toBeGreaterThan(0);
    }
  }, 180_000);

  // A second per request: with 300 ms, one run on a loaded machine promoted the slow revision (the baseline's own p95
  // grows with the load, and the bound is a ratio); eight clients, so it still serves enough requests per window.
  it('rolls back a candidate that answers every request but slowly', async () => {
    const traffic = load(8);
    try {
      const failed = await refused('slow', /Canary analysis at 50% failed: .*its p95 latency \d+ ms is more than 2x/);
      const candidate = failed.result.analysis?.[0]?.revisions.find((counts) => counts.revision === failed.result.revision);
      expect(candidate?.p95Ms).toBeGreaterThanOrEqual(1000);
      expect(candidate?.errors).toBe(0);
    } finally {
      await traffic.stop();
    }
  }, 180_000);

  it('holds a candidate that gets no traffic, then fails it with the counts, or promotes it when told inconclusive passes', async () => {
    const logger = recordingLogger();
    const failed = await refused('ok', /Inconclusive after 1 extension: .* served \d requests?, 0 5xx .*fewer than min-requests \(15\)/);
    expect(failed.result.analysis?.map((check) => check.window.to - check.window.from)).toEqual([3000, 6000]);
    const promoted = await deploy({ image: await image('ok'), analysis: { ...ANALYSIS, inconclusive: 'pass' } }, logger);
    expect(promoted.rolledBack).toBe(false);
    expect(traffic()).toEqual([
      { revisionName: promoted.revision, weight: 100 },
      { revisionName: promoted.previousRevision, weight: 0, label: 'previous' },
    ]);
    expect(logger.lines.some((line) => /Holding: the window grows by 3 s/.test(line))).toBe(true);
    expect(logger.lines.some((line) => /Passed as analysis-inconclusive says/.test(line))).toBe(true);
  }, 180_000);
});
