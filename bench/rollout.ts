/**
 * A deploy with traffic-steps 10,50,100 through the sandbox running revisions for real: the
 * rollout's wall time against the sum of what it must wait for (the revision's own start, the
 * intervals between its consecutive probes, and the configured step waits). Target: at most 1.1
 * times. Needs dockerd (apt-get install -y docker.io) and root for the daemon's bridge.
 * Run: npx tsx bench/rollout.ts
 */
import { armPort } from '../src/azure/arm.js';
import { silentLogger } from '../src/core/logger.js';
import { pushImage } from '../src/deploy/image.js';
import { rollout, type RolloutRequest } from '../src/deploy/rollout.js';
import { provisionedEnvironment } from '../test/helpers/environment.js';
import { writeBusyboxApp } from '../sandbox/busybox-app.js';

const TARGET_RATIO = 1.1;
const STEP_WAIT_SECONDS = 3;
const STEPS = [10, 50, 100];
const PROBES = 5;
const PROBE_INTERVAL_MS = 100;

const environment = await provisionedEnvironment();
try {
  const { sandbox, workspace, env } = environment;
  const arm = armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string);
  const image = async (n: number) => {
    await writeBusyboxApp(`${workspace}/app-${n}`, `ok ${n}\n`);
    return (
      await pushImage({
        cwd: workspace,
        config: 'azure-hipaa.yml',
        context: `app-${n}`,
        dockerfile: 'Dockerfile',
        buildArgs: {},
        labels: {},
        tags: [],
        commit: `${n}`.repeat(7),
        tempDir: workspace,
        env,
        subscriptionId: arm.subscriptionId,
        arm,
        logger: silentLogger,
      })
    ).image;
  };
  const request = (image: string, suffix: string, steps: number[]): RolloutRequest => ({
    cwd: workspace,
    config: 'azure-hipaa.yml',
    image,
    stage: 'all',
    suffix,
    healthTimeoutSeconds: 120,
    probeCount: PROBES,
    gate: 'live',
    trafficSteps: steps,
    stepWaitSeconds: STEP_WAIT_SECONDS,
    keepRevisions: 2,
    env,
    logger: silentLogger,
    pollIntervalMs: PROBE_INTERVAL_MS,
  });
  // The first deploy replaces the placeholder; the measured one follows a real revision, as every later deploy does.
  await rollout(request(await image(1), 'bench1', [100]), { arm });
  const next = await image(2);
  const started = Date.now();
  const result = await rollout(request(next, 'bench2', STEPS), { arm });
  const wall = Date.now() - started;
  const app = [...sandbox.server.arm.resources.values()].find((resource) => resource.type === 'Microsoft.App/containerApps');
  const revision = sandbox.server.apps.revisionsOf(app?.id ?? '').find((candidate) => candidate.name === result.revision);
  if (!revision?.healthyAt) throw new Error('the new revision never became healthy');
  const start = revision.healthyAt - Date.parse(revision.createdTime);
  const waits = start + (PROBES - 1) * PROBE_INTERVAL_MS + STEP_WAIT_SECONDS * 1000 * (STEPS.length - 1);
  const ratio = wall / waits;
  for (const entry of result.timeline) console.log(`    ${entry.at.toFixed(2)} ${entry.event.slice(0, 90)}`);
  console.log(
    `deploy-container rollout with traffic-steps ${STEPS.join(',')}, step-wait-seconds ${STEP_WAIT_SECONDS}, probe-count ${PROBES}`,
  );
  console.log(
    `  must wait: revision start ${start} ms + probes ${(PROBES - 1) * PROBE_INTERVAL_MS} ms + step waits ${STEP_WAIT_SECONDS * 1000 * (STEPS.length - 1)} ms = ${waits} ms`,
  );
  console.log(`  the rollout (candidate, probes, live gate, three traffic steps, retire): ${wall} ms`);
  console.log(`  ratio ${ratio.toFixed(2)} against a target of ${TARGET_RATIO} ${ratio <= TARGET_RATIO ? 'OK' : 'OVER TARGET'}`);
} finally {
  await environment.stop();
}
