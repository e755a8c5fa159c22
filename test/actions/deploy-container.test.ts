/**
 * The bundled deploy-container action run as the runner runs it (every input at its action.yml
 * default unless given), under `strace -f`, with a real docker daemon and the sandbox's registry:
 * the registry tokens reach no output, and no file outside the temporary docker config, which is
 * gone afterwards.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { startDockerd, type Dockerd } from '../helpers/dockerd.js';
import { createRegistry, writeBuildContext } from '../helpers/images.js';
import { runAction } from '../helpers/run-action.js';

const REGISTRY = 'hipaaactionacr';
const WRITE_FLAGS = /O_WRONLY|O_RDWR|O_CREAT|O_APPEND|O_TRUNC/;

let sandbox: Sandbox;
let dockerd: Dockerd;
let workspace: string;
let runnerTemp: string;

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001 });
  await createRegistry(sandbox, REGISTRY, 'Enabled');
  dockerd = await startDockerd({ httpsProxy: sandbox.httpsProxy, caCert: sandbox.caCert });
  workspace = await mkdtemp(join(tmpdir(), 'deploy-action-'));
  runnerTemp = await mkdtemp(join(tmpdir(), 'deploy-runner-temp-'));
  await writeBuildContext(workspace, 'ok\n');
}, 120_000);
afterAll(async () => {
  await dockerd?.stop();
  await sandbox?.stop();
  await rm(workspace, { recursive: true, force: true });
  await rm(runnerTemp, { recursive: true, force: true });
});

describe('deploy-container action', () => {
  it('builds and pushes under the federated identity; tokens are masked first and reach no output or file', async () => {
    const trace = join(runnerTemp, 'trace.txt');
    const federated = join(runnerTemp, 'federated-token');
    execFileSync('sh', ['-c', `umask 077; cat > ${federated}`], {
      input: sandbox.server.entra.signFederatedToken('repo:example/voice-agent:environment:production'),
    });
    const { AZURE_CLIENT_SECRET: _secret, ...withoutSecret } = sandbox.env;
    const run = await runAction('deploy-container', {
      wrapper: ['strace', '-f', '-qq', '-e', 'trace=open,openat,creat', '-o', trace],
      inputs: { registry: REGISTRY, repository: 'voice-agent', 'build-args': 'APP_MODE=production' },
      env: {
        ...withoutSecret,
        AZURE_FEDERATED_TOKEN_FILE: federated,
        ...dockerd.env,
        GITHUB_SHA: '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'example/voice-agent',
        RUNNER_TEMP: runnerTemp,
      },
      cwd: workspace,
      timeoutMs: 180_000,
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs['image']).toMatch(new RegExp(`^${REGISTRY}\\.azurecr\\.io/voice-agent@sha256:[a-f0-9]{64}$`));
    expect(run.outputs['tags']).toBe(`${REGISTRY}.azurecr.io/voice-agent:9f8e7d6c5b4a39281706f5e4d3c2b1a098765432`);

    const tokens = sandbox.server.registries.issuedTokens;
    expect(tokens.length).toBeGreaterThan(1);
    const maskLines = run.commands.filter((command) => command.command === 'add-mask').map((command) => command.message);
    const outsideMasks = run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    for (const token of tokens) {
      expect(outsideMasks.includes(token) || run.stderr.includes(token) || run.summary.includes(token)).toBe(false);
      expect(Object.values(run.outputs).some((output) => output.includes(token))).toBe(false);
    }
    // The refresh token the docker CLI signed in with was registered with the runner's masking.
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
  }, 240_000);
});
