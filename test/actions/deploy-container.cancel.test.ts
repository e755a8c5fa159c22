/**
 * deploy-container's run() in-process, signed in to the sandbox's registry, with a stand-in `docker`
 * on PATH whose build blocks: the job's cancellation reaches the docker child, which stops, the step
 * fails saying so, and the temporary docker config is gone. (The real daemon is in
 * test/deploy/image.integration.test.ts.)
 */
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/deploy-container/src/run.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import type { ArmPort } from '../../src/azure/arm-port.js';
import { recordedIO } from '../helpers/action-io.js';
import { createRegistry } from '../helpers/images.js';

const FAKE_DOCKER = `#!/bin/sh
echo "ARGS $*" >> "$FAKE_DOCKER_LOG"
[ "$1" = buildx ] && exit 1
if [ "$1" = build ]; then
  # As docker stops its work on a signal: the stand-in's sleep goes with it, not left behind as an orphan.
  trap 'kill $! 2>/dev/null; echo "STOPPED BY TERM" >> "$FAKE_DOCKER_LOG"; exit 143' TERM
  echo STARTED >> "$FAKE_DOCKER_LOG"
  sleep 30 & wait
fi
`;

let sandbox: Sandbox;
let work: string;
beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001 });
  await createRegistry(sandbox, 'hipaacancelacr', 'Enabled');
  work = await mkdtemp(join(tmpdir(), 'deploy-cancel-'));
  await writeFile(join(work, 'docker'), FAKE_DOCKER);
  await chmod(join(work, 'docker'), 0o755);
  await writeFile(join(work, 'Dockerfile'), 'FROM scratch\n');
  // The environment's registry is the one the test made: images go only to the environment's registries.
  await writeFile(join(work, 'azure-hipaa.yml'), 'registry:\n  name: hipaacancelacr\n');
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('deploy-container cancelled during the build', () => {
  it('passes the cancellation on to docker, which stops at once; the step fails saying so, and no docker config is left', async () => {
    const log = join(work, 'docker.log');
    const runnerTemp = await mkdtemp(join(work, 'runner-temp-'));
    await writeFile(log, '');
    const io = recordedIO(
      'deploy-container',
      { registry: 'hipaacancelacr', repository: 'voice-agent' },
      {
        ...process.env,
        ...sandbox.env,
        PATH: `${work}:${process.env['PATH'] ?? ''}`,
        FAKE_DOCKER_LOG: log,
        GITHUB_WORKSPACE: work,
        RUNNER_TEMP: runnerTemp,
        GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      },
    );
    const cancellation = new AbortController();
    const started = Date.now();
    const done = run(io, { arm: () => ({}) as ArmPort, cancellation: cancellation.signal });
    while (!(await readFile(log, 'utf8')).includes('STARTED')) {
      if (Date.now() - started > 30_000) throw new Error(`the build never started: ${await readFile(log, 'utf8')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const cancelledAt = Date.now();
    cancellation.abort();
    await done;
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    expect(io.failed).toBe('docker build was stopped: the workflow run was cancelled.');
    const calls = await readFile(log, 'utf8');
    expect(calls).toContain('STOPPED BY TERM');
    expect(calls).not.toMatch(/ARGS (login|push)/);
    expect(await readdir(runnerTemp)).toEqual([]);
  }, 60_000);
});
