/**
 * The docker CLI, run through @actions/exec with its own config directory. Output that may come
 * from a user's Dockerfile is passed to the logger line by line (which keeps workflow commands
 * inert), never straight to the runner's stdout.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

const CANCEL_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
/** How long a cancelled docker child has to end on the runner's signal before it is killed. */
const KILL_AFTER_MS = 5_000;

/** Thrown when the job is cancelled while docker runs: the child was stopped, nothing more is done. */
export class DockerCancelledError extends Error {
  override readonly name = 'DockerCancelledError';
}

export interface DockerRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface BuildSpec {
  context: string;
  dockerfile: string;
  tags: string[];
  labels: Record<string, string>;
  /** Build arguments; their values reach docker through its environment, never its command line. */
  buildArgs: Record<string, string>;
  /**
   * BuildKit secrets by id, for `RUN --mount=type=secret,id=<id>`: each value reaches docker only in
   * its environment, under a name generated here, and is never part of the image.
   */
  secrets?: Record<string, string>;
  /** Seconds since the epoch (the commit's time), for builders that make images reproducible with it. */
  sourceDateEpoch?: number;
  target?: string;
}

export class DockerCli {
  private buildx: boolean | undefined;

  private constructor(
    /** DOCKER_CONFIG: a directory of this run's own, where `docker login` keeps the registry token. */
    readonly configDir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /**
   * A docker CLI with a fresh config directory under `parent` (RUNNER_TEMP). `dispose` removes it;
   * so does a cancelled job (the runner's SIGINT, then SIGTERM), before the process ends. When
   * `signal` aborts, the running docker child gets the signal (its reason, when that is SIGINT or
   * SIGTERM) and the call fails with DockerCancelledError.
   */
  static async open(parent: string, env: NodeJS.ProcessEnv, logger: Logger, signal?: AbortSignal): Promise<DockerCli> {
    const configDir = await mkdtemp(join(parent, 'docker-config-'));
    const cli = new DockerCli(configDir, env, logger, signal);
    for (const signal of CANCEL_SIGNALS) process.once(signal, cli.onCancel);
    return cli;
  }

  async dispose(): Promise<void> {
    for (const signal of CANCEL_SIGNALS) process.off(signal, this.onCancel);
    await rm(this.configDir, { recursive: true, force: true });
  }

  private readonly onCancel = (signal: NodeJS.Signals): void => {
    rmSync(this.configDir, { recursive: true, force: true });
    // Then end as the signal would have, unless someone else also handles it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  async run(args: string[], options: { input?: string; env?: Record<string, string>; log?: boolean } = {}): Promise<DockerRun> {
    const command = `docker ${args[0] === 'buildx' ? `buildx ${args[1] ?? ''}` : (args[0] ?? '')}`;
    if (this.signal?.aborted) throw new DockerCancelledError(`${command} was not started: the workflow run was cancelled.`);
    const executable = this.executable();
    const child = spawn(executable, args, {
      env: { ...this.stringEnv(), DOCKER_CONFIG: this.configDir, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let cancelled = false;
    let killer: NodeJS.Timeout | undefined;
    // The runner signals this process only: docker hears of the cancellation from here, and stops.
    const onAbort = () => {
      cancelled = true;
      const reason: unknown = this.signal?.reason;
      child.kill(reason === 'SIGINT' || reason === 'SIGTERM' ? reason : 'SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    };
    this.signal?.addEventListener('abort', onAbort, { once: true });
    const collect = (stream: NodeJS.ReadableStream): Promise<string> => {
      const lines: string[] = [];
      const reader = createInterface({ input: stream, crlfDelay: Infinity });
      reader.on('line', (line) => {
        lines.push(line);
        if (options.log) this.logger.info(line);
      });
      return new Promise((resolve) => reader.once('close', () => resolve(lines.join('\n'))));
    };
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    child.stdin.on('error', () => {}); // docker may exit before it reads its input
    child.stdin.end(options.input ?? '');
    try {
      const exitCode = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code) => resolve(code ?? 1));
        // Stopped: done when docker is, even if something it started still holds its output open.
        child.once('exit', (code) => {
          if (!cancelled) return;
          child.stdout.destroy();
          child.stderr.destroy();
          resolve(code ?? 1);
        });
      });
      if (cancelled) throw new DockerCancelledError(`${command} was stopped: the workflow run was cancelled.`);
      return { exitCode, stdout: await stdout, stderr: await stderr };
    } catch (error) {
      if (error instanceof DockerCancelledError) throw error;
      throw new Error(`${command} could not be run: ${(error as Error).message}`, { cause: error });
    } finally {
      this.signal?.removeEventListener('abort', onAbort);
      clearTimeout(killer);
    }
  }

  /** Whether `docker buildx` is there (GitHub's ubuntu runners have it; a bare Docker engine may not). */
  async hasBuildx(): Promise<boolean> {
    this.buildx ??= (await this.run(['buildx', 'version'])).exitCode === 0;
    return this.buildx;
  }

  /**
   * Builds the image into the local image store and returns its id; a failure quotes the failing step.
   * buildx when it is there; otherwise the docker CLI's own builder: BuildKit (DOCKER_BUILDKIT=1) when
   * the build has secrets, which only BuildKit mounts, else the legacy builder, which every client has.
   */
  async build(spec: BuildSpec): Promise<string> {
    const iidFile = join(this.configDir, 'image-id');
    const buildx = await this.hasBuildx();
    const secrets = Object.entries(spec.secrets ?? {});
    const buildkit = buildx || secrets.length > 0;
    // Each secret's value under a name of its own, unknown to the Dockerfile and to the docker CLI.
    const secretEnv = secrets.map(([id, value]) => ({
      id,
      name: `AZURE_HIPAA_SECRET_${randomBytes(8).toString('hex').toUpperCase()}`,
      value,
    }));
    const args = [
      ...(buildx ? ['buildx', 'build', '--load'] : ['build']),
      '--file',
      spec.dockerfile,
      '--iidfile',
      iidFile,
      ...spec.tags.flatMap((tag) => ['--tag', tag]),
      ...Object.entries(spec.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
      ...Object.keys(spec.buildArgs).flatMap((name) => ['--build-arg', name]),
      ...secretEnv.flatMap(({ id, name }) => ['--secret', `id=${id},env=${name}`]),
      ...(spec.target ? ['--target', spec.target] : []),
      spec.context,
    ];
    const env: Record<string, string> = {
      ...spec.buildArgs,
      ...Object.fromEntries(secretEnv.map(({ name, value }) => [name, value])),
      // Without buildx, say which builder: DOCKER_BUILDKIT=0 rather than failing on the missing plugin.
      ...(buildx ? {} : { DOCKER_BUILDKIT: buildkit ? '1' : '0' }),
      // buildx >= 0.10 hands SOURCE_DATE_EPOCH to BuildKit, which from 0.11 dates the image config and
      // history with it (and, from 0.13 with rewrite-timestamp, the layers' files), so a rebuild of the
      // same commit can give the same digest. The legacy builder and the BuildKit inside Docker 20.10
      // (0.8) ignore it: two uncached builds there give two digests, measured.
      ...(buildkit && spec.sourceDateEpoch !== undefined ? { SOURCE_DATE_EPOCH: String(spec.sourceDateEpoch) } : {}),
    };
    const run = await this.run(args, { log: true, env });
    if (run.exitCode !== 0) {
      const log = `${run.stdout}\n${run.stderr}`;
      if (!buildx && buildkit && /buildx (component|plugin) is missing|requires buildx/i.test(log))
        throw new ConfigurationError(
          'Input "secrets" needs BuildKit, and this docker CLI has it only through the buildx plugin, which is not installed: install docker-buildx on the runner (GitHub\'s ubuntu runners have it).',
        );
      throw new Error(`docker build failed${failedStep(log)}. The whole build log is in the "Build" group above.`);
    }
    return (await readFile(iidFile, 'utf8')).trim();
  }

  async login(server: string, user: string, password: string): Promise<void> {
    const run = await this.run(['login', server, '--username', user, '--password-stdin'], { input: password });
    if (run.exitCode !== 0) throw new Error(`docker login to ${server} failed: ${lastLine(run.stderr)}`);
  }

  /** Pushes one tag and returns the digest the registry reported. */
  async push(reference: string): Promise<string> {
    const run = await this.run(['push', reference], { log: true });
    if (run.exitCode !== 0) throw new Error(`docker push ${reference} failed: ${lastLine(run.stderr)}`);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(run.stdout)?.[1];
    if (!digest) throw new Error(`docker push ${reference} reported no digest.`);
    return digest;
  }

  /** The `<repository>@<digest>` names the local image is known by in registries. */
  async repoDigests(reference: string): Promise<string[]> {
    const run = await this.run(['image', 'inspect', '--format', '{{json .RepoDigests}}', reference]);
    if (run.exitCode !== 0) throw new Error(`docker image inspect ${reference} failed: ${lastLine(run.stderr)}`);
    return JSON.parse(run.stdout.trim() || '[]') as string[];
  }

  /** `docker` on the PATH this CLI was given (the job's), not necessarily this process's. */
  private executable(): string {
    for (const folder of (this.env['PATH'] ?? '').split(delimiter)) {
      const candidate = join(folder, 'docker');
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
    throw new ConfigurationError(
      'The docker CLI is not installed on this runner: use ubuntu-latest, or install Docker on the self-hosted runner.',
    );
  }

  private stringEnv(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  }
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .at(-1) ?? 'no output'
  );
}

/**
 * ` at <the failing step>: <its error>`, from the legacy builder's `Step n/m :` or BuildKit's
 * `#n [stage i/j]` lines: BuildKit's `ERROR` line, else the legacy builder's last line after the step.
 */
function failedStep(log: string): string {
  const lines = log.split(/\r?\n/).filter((line) => line.trim() !== '');
  const isStep = (line: string) => /^Step \d+\/\d+ : /.test(line) || /^#\d+ \[[^\]]+\] /.test(line);
  const stepIndex = lines.findLastIndex(isStep);
  const step = stepIndex >= 0 ? (lines[stepIndex] as string).replace(/^#\d+ /, '').trim() : undefined;
  const error =
    lines.filter((line) => /^ERROR\b/.test(line.trim())).at(-1) ??
    lines
      .slice(stepIndex + 1)
      .filter((line) => !/^\s*--->/.test(line))
      .at(-1);
  return `${step ? ` at ${step}` : ''}${error ? `: ${error.trim()}` : ''}`;
}
