import type { Logger } from '../core/logger.js';

/** What a CLI command gets: its own arguments and somewhere to write. */
export interface CommandContext {
  args: string[];
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  logger: Logger;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit code: 0 success, 1 a blocking finding or failure, 2 bad input. */
  run(context: CommandContext): Promise<number>;
}
