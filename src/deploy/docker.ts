/**
 * The docker CLI, run through @actions/exec with its own config directory. Output that may come
 * from a user's Dockerfile is passed to the logger line by line (which keeps workflow commands
 * inert), never straight to the runner's stdout.
 */
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { getExecOutput } from '@actions/exec';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

const CANCEL_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

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
  target?: string;
}

export class DockerCli {
  private buildx: boolean | undefined;

  private constructor(
    /** DOCKER_CONFIG: a directory of this run's own, where `docker login` keeps the registry token. */
    readonly configDir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
  ) {}

  /**
   * A docker CLI with a fresh config directory under `parent` (RUNNER_TEMP). `dispose` removes it;
   * so does a cancelled job (the runner's SIGINT, then SIGTERM), before the process ends.
   */
  static async open(parent: string, env: NodeJS.ProcessEnv, logger: Logger): Promise<DockerCli> {
    const configDir = await mkdtemp(join(parent, 'docker-config-'));
    const cli = new DockerCli(configDir, env, logger);
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
    const log = options.log ? (line: string) => this.logger.info(line) : undefined;
    try {
      return await getExecOutput(this.executable(), args, {
        silent: true,
        ignoreReturnCode: true,
        env: { ...this.stringEnv(), DOCKER_CONFIG: this.configDir, ...options.env },
        ...(options.input !== undefined ? { input: Buffer.from(options.input) } : {}),
        ...(log ? { listeners: { stdline: log, errline: log } } : {}),
      });
    } catch (error) {
      throw new Error(`docker ${args[0] ?? ''} could not be run: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Whether `docker buildx` is there (GitHub's ubuntu runners have it; a bare Docker engine may not). */
  async hasBuildx(): Promise<boolean> {
    this.buildx ??= (await this.run(['buildx', 'version'])).exitCode === 0;
    return this.buildx;
  }

  /** Builds the image into the local image store and returns its id; a failure quotes the failing step. */
  async build(spec: BuildSpec): Promise<string> {
    const iidFile = join(this.configDir, 'image-id');
    const buildx = await this.hasBuildx();
    const args = [
      ...(buildx ? ['buildx', 'build', '--load'] : ['build']),
      '--file',
      spec.dockerfile,
      '--iidfile',
      iidFile,
      ...spec.tags.flatMap((tag) => ['--tag', tag]),
      ...Object.entries(spec.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
      ...Object.keys(spec.buildArgs).flatMap((name) => ['--build-arg', name]),
      ...(spec.target ? ['--target', spec.target] : []),
      spec.context,
    ];
    // Without buildx, the legacy builder; DOCKER_BUILDKIT=0 says so, rather than failing on the missing plugin.
    const run = await this.run(args, { log: true, env: { ...spec.buildArgs, ...(buildx ? {} : { DOCKER_BUILDKIT: '0' }) } });
    if (run.exitCode !== 0)
      throw new Error(
        `docker build failed${failedStep(`${run.stdout}\n${run.stderr}`)}. The whole build log is in the "Build" group above.`,
      );
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
