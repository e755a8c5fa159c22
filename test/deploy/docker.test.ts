/**
 * DockerCli against a stand-in `docker` on PATH that records what it is asked (the real daemon is
 * in the integration tests): buildx or the legacy builder, build-arg and secret values kept off the
 * command line, SOURCE_DATE_EPOCH for BuildKit, the failing step quoted, the job's cancellation passed
 * on to the running docker command, and the config directory removed when the job is cancelled.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { DockerCancelledError, DockerCli } from '../../src/deploy/docker.js';
import { repoRoot } from '../helpers/run-action.js';

let dir: string;
let log: string;
const FAKE_DOCKER = `#!/bin/sh
printf '%s\\n' "ARGS $*" "ENV APP_TOKEN=$APP_TOKEN DOCKER_BUILDKIT=$DOCKER_BUILDKIT DOCKER_CONFIG=$DOCKER_CONFIG SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH" >> "$FAKE_DOCKER_LOG"
if [ "$1" = buildx ]; then [ "$FAKE_BUILDX" = 1 ] || exit 1; [ "$2" = version ] && exit 0; fi
for arg in "$@"; do
  case "$arg" in id=*,env=*) name=\${arg#*,env=}; printf '%s\\n' "SECRET \${arg%%,*} $(printenv "$name")" >> "$FAKE_DOCKER_LOG";; esac
done
if [ -n "$FAKE_BUILD_BLOCKS" ]; then
  # As docker stops its work on a signal: the stand-in's sleep goes with it, not left behind as an orphan.
  trap 'kill $! 2>/dev/null; echo "STOPPED BY TERM" >> "$FAKE_DOCKER_LOG"; exit 143' TERM
  trap 'kill $! 2>/dev/null; echo "STOPPED BY INT" >> "$FAKE_DOCKER_LOG"; exit 130' INT
  echo STARTED >> "$FAKE_DOCKER_LOG"
  sleep 30 & wait
fi
if [ -n "$FAKE_BUILD_FAILS" ]; then
  printf '%s\\n' 'Step 1/3 : FROM scratch' ' --->' 'Step 2/3 : COPY missing.txt /app/' 'COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist' >&2
  exit 1
fi
while [ $# -gt 0 ]; do [ "$1" = --iidfile ] && printf 'sha256:%064d' 1 > "$2"; shift; done
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'docker-cli-'));
  log = join(dir, 'docker.log');
  await writeFile(join(dir, 'docker'), FAKE_DOCKER);
  await chmod(join(dir, 'docker'), 0o755);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({ PATH: `${dir}:${process.env['PATH']}`, FAKE_DOCKER_LOG: log, ...extra });
const spec = {
  context: '/ctx',
  dockerfile: '/ctx/Dockerfile',
  tags: ['r.azurecr.io/app:abc'],
  labels: { a: 'b' },
  buildArgs: { APP_TOKEN: 's3cr3t-build-value' },
};

describe('DockerCli.build', () => {
  it('uses buildx with --load when it is there, and passes build-arg values only through the environment', async () => {
    await writeFile(log, '');
    const docker = await DockerCli.open(dir, env({ FAKE_BUILDX: '1' }), silentLogger);
    expect(await docker.build(spec)).toBe(`sha256:${'0'.repeat(63)}1`);
    await docker.dispose();
    const lines = (await readFile(log, 'utf8')).split('\n');
    const build = lines.find((line) => line.startsWith('ARGS buildx build'));
    expect(build).toMatch(
      /^ARGS buildx build --load --file \/ctx\/Dockerfile --iidfile \S+ --tag r\.azurecr\.io\/app:abc --label a=b --build-arg APP_TOKEN \/ctx$/,
    );
    expect(lines.filter((line) => line.startsWith('ARGS')).join('\n')).not.toContain('s3cr3t-build-value');
    expect(lines[lines.indexOf(build as string) + 1]).toMatch(
      /^ENV APP_TOKEN=s3cr3t-build-value DOCKER_BUILDKIT= DOCKER_CONFIG=.*docker-config-/,
    );
  });

  it('falls back to the legacy builder, saying so with DOCKER_BUILDKIT=0, when buildx is missing', async () => {
    await writeFile(log, '');
    const docker = await DockerCli.open(dir, env(), silentLogger);
    await docker.build(spec);
    await docker.dispose();
    const lines = (await readFile(log, 'utf8')).split('\n');
    const build = lines.findIndex((line) => line.startsWith('ARGS build '));
    expect(build).toBeGreaterThan(0);
    expect(lines[build + 1]).toMatch(/DOCKER_BUILDKIT=0/);
  });

  it('mounts secrets with BuildKit (DOCKER_BUILDKIT=1 without buildx): each value only in the environment, under a generated name', async () => {
    await writeFile(log, '');
    const docker = await DockerCli.open(dir, env(), silentLogger);
    await docker.build({ ...spec, secrets: { npm_token: 'npm-s3cr3t-value', 'pip.conf': 'pip-s3cr3t-value' } });
    await docker.dispose();
    const lines = (await readFile(log, 'utf8')).split('\n');
    const build = lines.findIndex((line) => line.startsWith('ARGS build '));
    expect(lines[build]).toMatch(
      /--secret id=npm_token,env=AZURE_HIPAA_SECRET_[0-9A-F]{16} --secret id=pip\.conf,env=AZURE_HIPAA_SECRET_[0-9A-F]{16} \/ctx$/,
    );
    expect(lines[build + 1]).toMatch(/DOCKER_BUILDKIT=1 /);
    expect(lines.filter((line) => line.startsWith('SECRET'))).toEqual([
      'SECRET id=npm_token npm-s3cr3t-value',
      'SECRET id=pip.conf pip-s3cr3t-value',
    ]);
    expect(lines.filter((line) => line.startsWith('ARGS')).join('\n')).not.toMatch(/s3cr3t/);
  });

  it('gives BuildKit builds SOURCE_DATE_EPOCH (the commit time); the legacy builder, which ignores it, is not given it', async () => {
    await writeFile(log, '');
    const buildx = await DockerCli.open(dir, env({ FAKE_BUILDX: '1' }), silentLogger);
    await buildx.build({ ...spec, sourceDateEpoch: 1764950400 });
    await buildx.dispose();
    const legacy = await DockerCli.open(dir, env(), silentLogger);
    await legacy.build({ ...spec, sourceDateEpoch: 1764950400 });
    await legacy.dispose();
    const lines = (await readFile(log, 'utf8')).split('\n');
    const envOf = (prefix: string) => lines[lines.findIndex((line) => line.startsWith(prefix)) + 1];
    expect(envOf('ARGS buildx build')).toMatch(/ SOURCE_DATE_EPOCH=1764950400$/);
    expect(envOf('ARGS build ')).toMatch(/DOCKER_BUILDKIT=0 .* SOURCE_DATE_EPOCH=$/);
  });

  it('quotes the failing step and its error', async () => {
    const docker = await DockerCli.open(dir, env({ FAKE_BUILD_FAILS: '1' }), silentLogger);
    await expect(docker.build(spec)).rejects.toThrow(
      /^docker build failed at Step 2\/3 : COPY missing\.txt \/app\/: COPY failed: file not found in build context .* The whole build log is in the "Build" group above\.$/,
    );
    await docker.dispose();
  });
});

describe('a cancelled job', () => {
  async function cancelledBuild(reason: NodeJS.Signals) {
    await writeFile(log, '');
    const cancel = new AbortController();
    const docker = await DockerCli.open(dir, env({ FAKE_BUILD_BLOCKS: '1' }), silentLogger, cancel.signal);
    const started = Date.now();
    const build = docker.build(spec).catch((error: unknown) => error);
    while (!(await readFile(log, 'utf8')).includes('STARTED')) await new Promise((resolve) => setTimeout(resolve, 50));
    cancel.abort(reason);
    const error = await build;
    await docker.dispose();
    return { error, seconds: (Date.now() - started) / 1000, log: await readFile(log, 'utf8') };
  }

  it('passes the runner’s signal on to the running docker command, which stops at once', async () => {
    const term = await cancelledBuild('SIGTERM');
    expect(term.error).toBeInstanceOf(DockerCancelledError);
    expect((term.error as Error).message).toBe('docker build was stopped: the workflow run was cancelled.');
    expect(term.log).toContain('STOPPED BY TERM');
    expect(term.seconds).toBeLessThan(10);
    const int = await cancelledBuild('SIGINT');
    expect(int.error).toBeInstanceOf(DockerCancelledError);
    expect(int.log).toContain('STOPPED BY INT');
  }, 30_000);

  it('starts no docker command once cancelled', async () => {
    await writeFile(log, '');
    const cancel = new AbortController();
    const docker = await DockerCli.open(dir, env(), silentLogger, cancel.signal);
    cancel.abort('SIGTERM');
    await expect(docker.login('r.azurecr.io', 'user', 'token')).rejects.toBeInstanceOf(DockerCancelledError);
    await docker.dispose();
    expect(await readFile(log, 'utf8')).toBe('');
  });
});

describe('the docker config directory', () => {
  it('is removed when the job is cancelled (SIGTERM), before the process ends', async () => {
    const parent = await mkdtemp(join(dir, 'runner-temp-'));
    const script = `import { DockerCli } from ${JSON.stringify(join(repoRoot, 'src/deploy/docker.ts'))};
      import { silentLogger } from ${JSON.stringify(join(repoRoot, 'src/core/logger.ts'))};
      await DockerCli.open(${JSON.stringify(parent)}, process.env, silentLogger);
      console.log('open');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect((await readdir(parent)).filter((name) => name.startsWith('docker-config-'))).toHaveLength(1);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(await readdir(parent)).toEqual([]);
  }, 30_000);
});
