import { ConfigurationError, errorMessage } from '../../src/core/errors.js';
import type { ActionIO } from './runtime.js';

/**
 * Runs an action's body and turns anything it throws, `Error` or not, into a failed step.
 * A ConfigurationError lists each problem as an annotation at its file and line.
 */
export async function runAction(io: ActionIO, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      for (const problem of error.problems) {
        io.logger.error(`${problem.where}: ${problem.message}`, {
          title: 'Invalid input',
          ...(problem.file ? { file: problem.file } : {}),
          ...(problem.line ? { line: problem.line } : {}),
        });
      }
    }
    io.setFailed(errorMessage(error));
  }
}
