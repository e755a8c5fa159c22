/**
 * The bundled deploy-container action run as the runner runs it (every input at its action.yml
 * default unless given) against the provisioned example environment, with a real docker daemon:
 * under `strace -f` the registry tokens reach no output and no file outside the temporary docker
 * config, which is gone afterwards; and a job cancelled during the traffic shift (the runner's
 * SIGTERM) puts the previous split back before the action ends.
 */
import { readFile, readdir, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { federatedJobEnv, provisionedEnvironment, type ProvisionedEnvironment } from '../helpers/environment.js';
import { writeBusyboxApp } from '../../sandbox/busybox-app.js';
import { runAction } from '../helpers/run-action.js';
import { appTraffic } from '../helpers/sandbox-admin.js';

const WRITE_FLAGS = /O_WRONLY|O_RDWR|O_CREAT|O_APPEND|O_TRUNC/;

let environment: ProvisionedEnvironment;
let runnerTemp: string;

beforeAll(async () => {
  environment = await provisionedEnvironment();
  runnerTemp = await mkdtemp(join(tmpdir(), 'deploy-runner-temp-'));
  await writeBusyboxApp(environment.workspace, 'ok\n');
}, 180_000);
afterAll(async () => {
  await environment?.stop();
  await rm(runnerTemp, { recursive: true, force: true });
});

/** The env a deploy job gets: azure/login's federated token, and the run it belongs to. */
function jobEnv(run: number): Record<string, string> {
  return {
    ...federatedJobEnv(environment, runnerTemp, String(run), 'repo:example/voice-agent:environment:production'),
    GITHUB_SHA: `${String(run).repeat(7)}e7d6c5b4a39281706f5e4d3c2b1a098765432`.slice(0, 40),
    GITHUB_RUN_ID: String(run),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'example/voice-agent',
  };
}

describe('deploy-container action', () => {
  it('builds, pushes and rolls out under the federated identity; tokens are masked first and reach no output or file', async () => {
    const trace = join(runnerTemp, 'trace.txt');
    const run = await runAction('deploy-container', {
      wrapper: ['strace', '-f', '-qq', '-e', 'trace=open,openat,creat', '-o', trace],
      inputs: { 'build-args': 'APP_MODE=production', 'health-timeout-seconds': '120', 'step-wait-seconds': '1' },
      env: jobEnv(1),
      cwd: environment.workspace,
      timeoutMs: 240_000,
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs['image']).toMatch(/^seniorlyprodacr\.azurecr\.io\/voice-agent@sha256:[a-f0-9]{64}$/);
    expect(run.outputs['revision']).toBe('voice-agent--c1111111-1-1');
    expect(run.outputs['rolled-back']).toBe('false');
    expect(JSON.parse(run.outputs['traffic'] ?? '')).toEqual([
      { revisionName: 'voice-agent--c1111111-1-1', weight: 100 },
      { revisionName: run.outputs['previous-revision'], weight: 0, label: 'previous' },
    ]);
    expect(run.summary).toMatch(/## Deploy: `voice-agent--c1111111-1-1` serves/);
    expect(run.summary).toMatch(/HIPAA gate: pass/);

    const tokens = environment.sandbox.server.registries.issuedTokens;
    const maskLines = run.commands.filter((command) => command.command === 'add-mask').map((command) => command.message);
    const outsideMasks = run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    for (const token of tokens) {
      expect(outsideMasks.includes(token) || run.stderr.includes(token) || run.summary.includes(token)).toBe(false);
      expect(Object.values(run.outputs).some((output) => output.includes(token))).toBe(false);
    }
    expect(tokens.some((token) => maskLines.includes(token))).toBe(true);

    const written = (await readFile(trace, 'utf8'))
      .split('\n')
      .filter((line) => WRITE_FLAGS.test(line) && !/= -1 /.test(line))
      .map((line) => /"([^"]+)"/.exec(line)?.[1] ?? line);
    // The trace sees writes: the runner's output file, and docker login's config in the temporary directory.
    expect(written.some((path) => path.endsWith('/github_output'))).toBe(true);
    expect(written.some((path) => path.startsWith(`${runnerTemp}/docker-config-`) && /\/config\.json/.test(path))).toBe(true);
    const unexpected = [...new Set(written)].filter(
      (path) =>
        !/\/(github_output|step_summary)$/.test(path) &&
        !path.startsWith('/dev/') &&
        !path.startsWith(`${runnerTemp}/docker-config-`) &&
        path !== trace,
    );
    expect(unexpected).toEqual([]);
    expect((await readdir(runnerTemp)).filter((name) => name.startsWith('docker-config-'))).toEqual([]);
  }, 300_000);

  it('cancelled during the traffic shift (SIGTERM, as the runner cancels), restores the exact previous split before it exits', async () => {
    const before = appTraffic(environment.sandbox);
    let signalled = false;
    const run = await runAction('deploy-container', {
      inputs: { 'traffic-steps': '10,50,100', 'step-wait-seconds': '60', 'health-timeout-seconds': '120' },
      env: jobEnv(2),
      cwd: environment.workspace,
      timeoutMs: 240_000,
      onStdout: (stdout, signal) => {
        if (!signalled && /Traffic: voice-agent--\S+ 10%, /.test(stdout)) {
          signalled = true;
          signal('SIGTERM');
        }
      },
    });
    expect(signalled).toBe(true);
    expect(run.exitCode).toBe(1);
    expect(run.outputs['rolled-back']).toBe('true');
    expect(appTraffic(environment.sandbox)).toEqual(before);
    expect(run.commands.find((command) => command.command === 'error')?.message).toMatch(/cancelled.*Serving now: /s);
  }, 300_000);
});
