/** src/cli is the azure-hipaa command: argument parsing and output around the same code the actions run. */
import { ConfigurationError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Command, CommandContext } from './command.js';
import { commands } from './commands/index.js';

const consoleLogger: Logger = {
  debug: (message) => {
    if (process.env['AZURE_HIPAA_DEBUG']) process.stderr.write(`debug: ${message}\n`);
  },
  info: (message) => process.stderr.write(`${message}\n`),
  warning: (message) => process.stderr.write(`warning: ${message}\n`),
  error: (message) => process.stderr.write(`error: ${message}\n`),
  group: async (title, fn) => {
    process.stderr.write(`== ${title}\n`);
    return fn();
  },
  // The CLI never prints secret values in the first place; nothing to register.
  mask: () => {},
};

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

export async function runCli(argv: string[], overrides: Partial<CommandContext> = {}): Promise<number> {
  const [name, ...args] = argv;
  const stdout = overrides.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = overrides.stderr ?? ((text: string) => void process.stderr.write(text));
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
