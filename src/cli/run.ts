/** src/cli is the azure-hipaa command: argument parsing and output around the same code the actions run. */
import { fstatSync } from 'node:fs';
import { ConfigurationError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { maskPieces } from '../core/masking.js';
import { fenceWorkflowCommands, inertJson, workflowCommand } from '../core/workflow-commands.js';
import type { Command, CommandContext } from './command.js';
import { commands } from './commands/index.js';

const consoleLogger: Logger = {
  debug: (message) => {
    if (process.env['AZURE_HIPAA_DEBUG']) writeStderr(`debug: ${message}\n`);
  },
  info: (message) => writeStderr(`${message}\n`),
  warning: (message) => writeStderr(`warning: ${message}\n`),
  error: (message) => writeStderr(`error: ${message}\n`),
  group: async (title, fn) => {
    writeStderr(`== ${title}\n`);
    return fn();
  },
  mask: (secretValue) => registerSecret(secretValue),
};

// Each piece is registered once per process, however often the value is read.
const registered = new Set<string>();

/**
 * In a workflow step, tells the runner to hide a secret value the CLI read (a vault secret, a
 * token), as actions do: masks registered by other jobs or steps do not carry over. Written
 * straight to a stream the runner reads, never fenced; nowhere when both streams go to files,
 * which the runner does not read and which must not receive the value.
 */
function registerSecret(secretValue: string): void {
  if (process.env['GITHUB_ACTIONS'] !== 'true') return;
  const stream = !isRegularFile(1) ? process.stdout : !isRegularFile(2) ? process.stderr : undefined;
  for (const piece of maskPieces(secretValue)) {
    if (registered.has(piece)) continue;
    registered.add(piece);
    stream?.write(`${workflowCommand('add-mask', piece)}\n`);
  }
}

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'azure-hipaa: ship a container app to a HIPAA-ready Azure environment',
    '',
    'Usage: azure-hipaa <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `azure-hipaa <command> --help` for its options.',
  ].join('\n');
}

/**
 * Writes to a standard stream so that, in a GitHub Actions step, nothing from a template, a config
 * or Azure runs as a workflow command: JSON documents are made inert (same meaning), other text is
 * fenced when the runner reads the stream (not when it is redirected to a file).
 */
function runnerSafeWriter(stream: NodeJS.WriteStream, fd: number): (text: string) => void {
  let runnerReads: boolean | undefined;
  return (text) => {
    if (text.startsWith('{')) return void stream.write(inertJson(text));
    runnerReads ??= process.env['GITHUB_ACTIONS'] === 'true' && !isRegularFile(fd);
    stream.write(runnerReads ? fenceWorkflowCommands(text) : text);
  };
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

const writeStdout = runnerSafeWriter(process.stdout, 1);
const writeStderr = runnerSafeWriter(process.stderr, 2);

export async function runCli(argv: string[], overrides: Partial<CommandContext> = {}): Promise<number> {
  const [name, ...args] = argv;
  const stdout = overrides.stdout ?? writeStdout;
  const stderr = overrides.stderr ?? writeStderr;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? stdout : stderr)(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) {
    stderr(`Unknown command "${name}".\n\n${usage()}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    stdout(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run({
      args,
      stdout,
      stderr,
      logger: overrides.logger ?? consoleLogger,
      cwd: overrides.cwd ?? process.cwd(),
      env: overrides.env ?? process.env,
    });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      stderr(`error: ${error.message}\n`);
      return 2;
    }
    stderr(`error: ${errorMessage(error)}\n`);
    return 1;
  }
}
